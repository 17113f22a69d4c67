from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from townsquare.accounts.models import Role
from townsquare.core.queries import get_community
from townsquare.forum.models import CategoryKind
from townsquare.search.queries import search


def ids(user, query: str, **filters) -> list[int]:
    return [hit.post.pk for hit in search(user, get_community(), query, **filters).hits]


@pytest.fixture
def general(forum):
    return forum.category("General")


def test_category_includes_its_subcategories(forum, general, visitor):
    products = forum.category("Products")
    mobile = forum.category("Mobile", parent=products)
    in_parent = forum.topic(products, "Roadmap", "release planning")
    in_child = forum.topic(mobile, "App", "release planning for the app")
    elsewhere = forum.topic(general, "Chat", "release planning chat")
    assert set(ids(visitor, "release", category=products)) == {in_parent.pk, in_child.pk}
    assert ids(visitor, "release", category=mobile) == [in_child.pk]
    assert elsewhere.pk in ids(visitor, "release")


def test_tag_by_name(forum, general, visitor):
    tagged = forum.topic(general, "Exports", "csv export question", tags=["reports"])
    reply = forum.reply(tagged.topic, "csv export works for me")
    forum.topic(general, "Other", "csv export elsewhere", tags=["misc"])
    # The tag is the topic's: its replies are in it too.
    assert set(ids(visitor, "csv", tag="reports")) == {tagged.pk, reply.pk}
    assert set(ids(visitor, "csv", tag="REPORTS ")) == {tagged.pk, reply.pk}
    assert ids(visitor, "csv", tag="nope") == []


def test_author_filter(forum, general, visitor):
    ann, bob = forum.member("ann"), forum.member("bob")
    by_ann = forum.topic(general, "Ann's", "garden photos", author=ann)
    forum.topic(general, "Bob's", "garden photos too", author=bob)
    assert ids(visitor, "garden", author=ann) == [by_ann.pk]


def test_author_filter_never_matches_anonymous_posts_even_for_moderators(forum, visitor):
    confessions = forum.category("Confessions", kind=CategoryKind.ANONYMOUS)
    ann = forum.member("ann")
    moderator = forum.member("mod", role=Role.MODERATOR)
    named = forum.topic(confessions, "Named", "burnout story", author=ann)
    hidden = forum.topic(confessions, "Secret", "burnout story", author=ann, anonymous=True)
    for searcher in (visitor, ann, moderator):
        assert ids(searcher, "burnout", author=ann) == [named.pk]
        assert ids(searcher, "", author=ann) == [named.pk]
        assert search(searcher, get_community(), "burnout", author=ann).total == 1
    # Without the author filter the anonymous post is found, and shown as anonymous.
    results = search(moderator, get_community(), "burnout")
    assert {hit.post.pk for hit in results.hits} == {named.pk, hidden.pk}
    anonymous = next(hit for hit in results.hits if hit.post.pk == hidden.pk)
    assert anonymous.is_anonymous and anonymous.author_handle is None
    assert anonymous.author_name is None and anonymous.post.author is None


def test_solved_questions(forum, visitor):
    qa = forum.category("Help", kind=CategoryKind.QA)
    solved = forum.topic(qa, "Login fails", "password reset loop")
    answer = forum.reply(solved.topic, "clear cookies to stop the loop")
    solved.topic.accepted_post = answer
    solved.topic.save()
    open_question = forum.topic(qa, "Loop again", "another loop problem")
    assert set(ids(visitor, "loop", solved=True)) == {solved.pk, answer.pk}
    assert ids(visitor, "loop", solved=False) == [open_question.pk]


def test_dates_are_inclusive_days(forum, general, visitor):
    old = forum.topic(general, "Old", "quarterly report", days_ago=40)
    recent = forum.topic(general, "Recent", "quarterly report", days_ago=5)
    today = timezone.localdate()
    assert ids(visitor, "quarterly", after=today - timedelta(days=10)) == [recent.pk]
    assert ids(visitor, "quarterly", before=today - timedelta(days=10)) == [old.pk]
    day = timezone.localtime(recent.created_at).date()
    assert ids(visitor, "quarterly", after=day, before=day) == [recent.pk]
    with pytest.raises(ValidationError) as error:
        search(visitor, get_community(), "quarterly", after=today, before=today - timedelta(1))
    assert "before" in error.value.message_dict


def test_filters_alone_list_newest_first(forum, general, visitor):
    ann = forum.member("ann")
    first = forum.topic(general, "One", "alpha", author=ann, days_ago=3)
    second = forum.topic(general, "Two", "beta", author=ann, days_ago=1)
    results = search(visitor, get_community(), "", author=ann)
    assert [hit.post.pk for hit in results.hits] == [second.pk, first.pk]
    assert results.total == 2


def test_latest_order(forum, general, visitor):
    older = forum.topic(general, "A", "deploy deploy deploy friday", days_ago=9)
    newer = forum.topic(general, "B", "deploy", days_ago=1)
    assert ids(visitor, "deploy", order="latest") == [newer.pk, older.pk]


def test_bad_arguments_are_validation_errors(forum, general, visitor):
    for arguments, field in (
        ({"order": "random"}, "order"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 1001}, "offset"),
    ):
        with pytest.raises(ValidationError) as error:
            search(visitor, get_community(), "x", **arguments)
        assert field in error.value.message_dict


def test_pagination_and_capped_total(forum, general, visitor, monkeypatch):
    from townsquare.search import queries

    # Written oldest first, as a forum does: ids grow with time.
    posts = [
        forum.topic(general, f"Post {i}", "pagination words", days_ago=7 - i) for i in range(7)
    ]
    newest_first = [post.pk for post in reversed(posts)]
    page = search(visitor, get_community(), "pagination", limit=3, offset=3)
    assert [hit.post.pk for hit in page.hits] == newest_first[3:6]
    assert (page.total, page.total_is_capped, page.has_next) == (7, False, True)
    # With a cap of 5 the total says "5+", and results stop at the cap.
    monkeypatch.setattr(queries, "MAX_RESULTS", 5)
    capped = search(visitor, get_community(), "pagination", limit=3, offset=3)
    assert (capped.total, capped.total_is_capped) == (5, True)
    assert [hit.post.pk for hit in capped.hits] == newest_first[3:5]
