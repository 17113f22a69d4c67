"""What matches and in which order: the same assertions on SQLite (FTS5) and PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from townsquare.core.queries import get_community
from townsquare.search.queries import search


def ids(results) -> list[int]:
    return [hit.post.pk for hit in results.hits]


def find(user, query: str, **filters) -> list[int]:
    return ids(search(user, get_community(), query, **filters))


@pytest.fixture
def general(forum):
    return forum.category("General")


def test_chinese_is_segmented_on_both_sides(forum, general, visitor):
    post = forum.topic(general, "软件推荐", "我们在用一款在线社区管理软件，效果很好")
    forum.topic(general, "别的", "在线论坛软件")
    assert find(visitor, "社区管理") == [post.pk]
    assert find(visitor, "管理软件") == [post.pk]
    assert find(visitor, "论坛管理") == []


def test_polish_inflections_meet(forum, general, visitor):
    post = forum.topic(general, "Rozwój", "Nasza społeczność rośnie z każdym tygodniem")
    assert find(visitor, "społeczności") == [post.pk]
    assert find(visitor, "SPOŁECZNOŚCIAMI") == [post.pk]


def test_english_forms_meet(forum, general, visitor):
    post = forum.topic(general, "Hello", "A community of makers")
    assert find(visitor, "communities") == [post.pk]


def test_every_word_must_appear(forum, general, visitor):
    both = forum.topic(general, "Release", "The new editor ships with dark mode")
    editor_only = forum.topic(general, "Editor", "The editor is slow")
    assert find(visitor, "editor dark") == [both.pk]
    assert set(find(visitor, "editor")) == {both.pk, editor_only.pk}
    assert find(visitor, "editor dark unicorn") == []


def test_title_and_body_of_the_opening_post_match_together(forum, general, visitor):
    opening = forum.topic(general, "Backups for PostgreSQL", "Nightly dumps work well")
    reply = forum.reply(opening.topic, "Nightly dumps here too")
    # Only the opening post carries the title: the reply does not match "postgresql".
    assert find(visitor, "postgresql nightly") == [opening.pk]
    assert set(find(visitor, "nightly")) == {opening.pk, reply.pk}


def test_tags_are_searchable_on_the_opening_post(forum, general, visitor):
    post = forum.topic(general, "Dashboards", "How do you chart growth?", tags=["analytics"])
    assert find(visitor, "analytics") == [post.pk]


def test_exact_phrase_ranks_before_scattered_words(forum, general, visitor):
    # The scattered post repeats the words more often and is newer: it would win on
    # relevance and recency, but the exact phrase comes first.
    phrase = forum.topic(general, "Notes", "We moved to open source last year", days_ago=30)
    scattered = forum.topic(
        general, "Source", "source code, source maps, open doors, open windows, source", days_ago=1
    )
    assert find(visitor, "open source") == [phrase.pk, scattered.pk]
    results = search(visitor, get_community(), "open source")
    assert [hit.is_phrase for hit in results.hits] == [True, False]
    # Order matters: "source open" is a phrase neither post contains.
    assert not any(hit.is_phrase for hit in search(visitor, get_community(), "source open").hits)


def test_chinese_phrase_ranks_first(forum, general, visitor):
    apart = forum.topic(general, "一", "管理员说社区很好，管理也不错", days_ago=1)
    together = forum.topic(general, "二", "在线社区管理软件", days_ago=40)
    # Both contain 社区 and 管理 (inside 管理员 too); only one has them side by side.
    assert find(visitor, "社区管理") == [together.pk, apart.pk]
    assert find(visitor, "社区 管理") == [together.pk, apart.pk]


def test_newer_post_ranks_first_when_equally_relevant(forum, general, visitor):
    old = forum.topic(general, "Meetup", "Monthly meetup in Warsaw", days_ago=400)
    new = forum.topic(general, "Meetup", "Monthly meetup in Warsaw", days_ago=2)
    middle = forum.topic(general, "Meetup", "Monthly meetup in Warsaw", days_ago=90)
    assert find(visitor, "meetup warsaw") == [new.pk, middle.pk, old.pk]


def test_recency_is_a_boost_not_a_sort(forum, general, visitor):
    # Far more relevant (the word in the title, several times in a short body) and a
    # little older: relevance wins over a small age difference.
    relevant = forum.topic(
        general, "Kubernetes guide", "Kubernetes, kubernetes and kubernetes.", days_ago=20
    )
    passing = forum.topic(
        general,
        "Weekly notes",
        "Lunch, then a long walk, some reading, a call about budgets, and one mention of "
        "kubernetes among many other things we talked about at length this week.",
        days_ago=10,
    )
    assert find(visitor, "kubernetes") == [relevant.pk, passing.pk]
    assert find(visitor, "kubernetes", order="latest") == [passing.pk, relevant.pk]


def test_title_weighs_more_than_body(forum, general, visitor):
    body = forum.topic(general, "Question", "How do I configure webhooks here?", days_ago=1)
    title = forum.topic(general, "Webhooks configuration", "How do I set these up?", days_ago=1)
    assert find(visitor, "webhooks") == [title.pk, body.pk]


def test_empty_query_without_filters_finds_nothing_and_is_no_error(forum, general, visitor):
    forum.topic(general, "Anything", "Some text")
    results = search(visitor, get_community(), "   ")
    assert (results.hits, results.total, results.searched) == ([], 0, False)


@pytest.mark.parametrize(
    "query",
    ["!!! ??? …", '"', "'", "* : ^ ( ) - + / {}", "—", "\u200b🙂", '"" ""', "\\", "&|!<->"],
)
def test_punctuation_only_queries_find_nothing(forum, general, visitor, query):
    forum.topic(general, "Anything", "Some text with NEAR and OR inside")
    results = search(visitor, get_community(), query)
    assert (results.hits, results.total) == ([], 0)


def test_syntax_words_are_plain_words(forum, general, visitor):
    post = forum.topic(general, "Operators", "Use AND, OR, NOT and NEAR in queries")
    other = forum.topic(general, "Other", "nothing here")
    assert find(visitor, "AND OR NOT NEAR") == [post.pk]
    assert find(visitor, 'near" OR "nothing') == []
    assert find(visitor, "nothing") == [other.pk]


def test_query_too_long_is_a_clear_error(forum, general, visitor):
    with pytest.raises(ValidationError) as error:
        search(visitor, get_community(), "x" * 201)
    assert "200" in error.value.message_dict["q"][0]
    search(visitor, get_community(), "x" * 200)  # at the limit: fine


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=60))
def test_no_query_breaks_the_engine(forum, general, visitor, query):
    # general is created once per test function; hypothesis reuses it for every example.
    search(visitor, get_community(), query)


def test_phrases_are_found_up_to_the_oldest_candidate(forum, general, visitor, monkeypatch):
    """With more matches than the candidate window, the window is the newest matches and
    the exact-phrase flag is right up to its oldest one."""
    from townsquare.search import queries

    texts = ["open source", "source open", "open source", "open source", "source open"]
    posts = [forum.topic(general, f"T{i}", text, days_ago=5 - i) for i, text in enumerate(texts)]
    monkeypatch.setattr(queries, "MAX_RESULTS", 3)
    results = search(visitor, get_community(), "open source")
    assert [hit.post.pk for hit in results.hits] == [posts[3].pk, posts[2].pk, posts[4].pk]
    assert [hit.is_phrase for hit in results.hits] == [True, True, False]
    assert (results.total, results.total_is_capped) == (3, True)


def test_matches_old_and_new_come_newest_first(forum, general, visitor):
    """PostgreSQL reads the newest ids of the index first and the older ones only when
    needed (backends.PostgresBackend.RECENT_BOUNDARY: at a newest id of 1,000,000, the
    newest 70,710 ids); both parts make one list, newest first."""
    oldest = forum.topic(general, "Lighthouse", "keeping the lighthouse", days_ago=3)
    topic = oldest.topic
    older = forum.reply(topic, "a lighthouse keeper", days_ago=2, post_id=900_000)
    newest = forum.reply(topic, "the lighthouse again", days_ago=1, post_id=1_000_000)
    forum.reply(topic, "nothing to see", post_id=990_000)
    expected = [newest.pk, older.pk, oldest.pk]
    assert find(visitor, "lighthouse", order="latest") == expected
    assert sorted(find(visitor, "lighthouse")) == sorted(expected)
