from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection

from townsquare.core.queries import get_community
from townsquare.forum.models import Post, Tag, Topic
from townsquare.search import index
from townsquare.search.backends import get_backend, tsvector_literal
from townsquare.search.queries import search


def stored(post_ids) -> dict[int, tuple[str, ...]]:
    """The index rows as the database holds them."""
    backend = get_backend()
    marks = ", ".join(["%s"] * len(post_ids))
    with connection.cursor() as cursor:
        if backend.vendor == "sqlite":
            cursor.execute(
                f"SELECT rowid, title, body FROM search_post_fts WHERE rowid IN ({marks})",
                list(post_ids),
            )
        else:
            cursor.execute(
                f"SELECT post_id, vector::text FROM search_post_vector WHERE post_id IN ({marks})",
                list(post_ids),
            )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def found(query: str, user=None) -> set[int]:
    from django.contrib.auth.models import AnonymousUser

    results = search(user or AnonymousUser(), get_community(), query)
    return {hit.post.pk for hit in results.hits}


@pytest.fixture
def general(forum):
    return forum.category("General")


def test_indexing_waits_for_the_commit(forum, general, django_capture_on_commit_callbacks):
    post = forum.topic(general, "Waiting", "patience", index=False)
    with mock.patch("townsquare.search.tasks.index_posts.delay") as delay:
        with django_capture_on_commit_callbacks() as callbacks:
            index.schedule_indexing([post.pk, post.pk])
            delay.assert_not_called()
        assert len(callbacks) == 1
        callbacks[0]()
    delay.assert_called_once_with([post.pk])


def test_large_lists_are_deduplicated_and_chunked(db, django_capture_on_commit_callbacks):
    with (
        mock.patch("townsquare.search.tasks.index_posts.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        index.schedule_indexing([*range(1, 1201), *range(1, 50)])
        index.schedule_indexing([])
    chunks = [call.args[0] for call in delay.call_args_list]
    assert [len(chunk) for chunk in chunks] == [500, 500, 200]
    assert [post_id for chunk in chunks for post_id in chunk] == list(range(1, 1201))


def test_indexing_twice_changes_nothing(forum, general):
    post = forum.topic(general, "Twice", "idempotent indexing", tags=["ops"])
    before = stored([post.pk])
    forum.index(post.pk)
    forum.index(post.pk, post.pk)
    assert stored([post.pk]) == before
    assert get_backend().count() == 1
    assert found("idempotent") == {post.pk}


def test_only_the_opening_post_carries_title_and_tags(forum, general):
    opening = forum.topic(general, "Grafana dashboards", "first", tags=["monitoring"])
    reply = forum.reply(opening.topic, "second")
    rows = stored([opening.pk, reply.pk])
    if get_backend().vendor == "sqlite":
        assert rows[opening.pk] == ("grafana dashboard monitoring", "first")
        assert rows[reply.pk] == ("", "second")
    else:
        assert rows[opening.pk][0] == "'dashboard':2A 'first':5 'grafana':1A 'monitoring':3A"
        assert rows[reply.pk][0] == "'second':2"


def test_edits_and_renames_are_picked_up(forum, general):
    post = forum.topic(general, "Old name", "original words")
    Post.objects.filter(pk=post.pk).update(text="edited words")
    Topic.objects.filter(pk=post.topic_id).update(title="Fresh name")
    post.topic.tags.add(Tag.objects.create(name="renamed"))
    assert found("original") == {post.pk}
    forum.index(post.pk)  # as the forum's edit and rename actions will
    assert found("original") == set()
    assert found("edited fresh renamed") == {post.pk}


def test_a_post_that_is_gone_leaves_the_index(forum, general):
    post = forum.topic(general, "Gone", "vanishing words")
    post_id = post.pk
    Post.objects.filter(pk=post_id).delete()
    forum.index(post_id)
    assert get_backend().indexed([post_id]) == set()


def test_reindex_command_rebuilds_from_an_empty_index(forum, general):
    posts = [forum.topic(general, f"Topic {i}", f"rebuild number{i}") for i in range(5)]
    posts.append(forum.reply(posts[0].topic, "rebuild reply"))
    ghost = forum.topic(general, "Ghost", "rebuild ghost")
    Post.objects.filter(pk=ghost.pk).delete()  # its row stays until a reindex
    before = stored([post.pk for post in posts])
    get_backend().clear()
    forum.index(ghost.pk + 1000)  # nothing to do for an unknown id
    assert found("rebuild") == set()
    get_backend().write([index.analyse((ghost.pk, "", "rebuild ghost"))])
    out = StringIO()
    call_command("reindex", "--batch-size", "2", "--workers", "1", stdout=out)
    assert found("rebuild") == {post.pk for post in posts}
    assert stored([post.pk for post in posts]) == before
    assert get_backend().indexed([ghost.pk]) == set()
    output = out.getvalue()
    assert "Indexed 2 of 6 posts" in output
    assert "Search index rebuilt: 6 posts in" in output


def test_reindex_rejects_nonsense_options(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("reindex", "--batch-size", "0", stdout=StringIO())


def test_bulk_index_takes_text_rows(forum, general):
    opening = forum.topic(general, "Placeholder", "x", index=False)
    reply = forum.reply(opening.topic, "y", index=False)
    seen = []
    written = index.bulk_index(
        [(opening.pk, "Bulk title words", "bulk body"), (reply.pk, "", "bulk reply")],
        batch_size=1,
        total=2,
        progress=lambda progress: seen.append(progress.done),
    )
    assert written == 2 and seen == [1, 2]
    assert found("bulk") == {opening.pk, reply.pk}
    assert found("title bulk") == {opening.pk}


def test_bulk_index_in_worker_processes(forum, general):
    # Outside a test transaction workers get fresh connections; inside one they inherit
    # this process's connection and never use it.
    opening = forum.topic(general, "Placeholder", "x", index=False)
    rows = [(opening.pk, "", "parallel 社区管理 analysis")]
    assert index.bulk_index(rows, workers=2) == 1
    assert found("社区管理") == {opening.pk}


def test_tsvector_literal_keeps_terms_as_given():
    literal = tsvector_literal(["it's", "a\\b"], ["x"] * 3)
    assert literal == "'it''s':1A 'a\\\\b':2A 'x':4,5,6"
    assert tsvector_literal([], []) == ""


def test_planner_statistics_leave_the_full_text_index_to_its_keys(forum, general):
    """Statistics taken while the index was small made SQLite scan all of it for each
    segment FTS5 merges away (0.75 s every 15 posts at a million posts)."""
    from townsquare.core.maintenance import analyze_database

    forum.topic(general, "Statistics", "the planner keeps them")
    took = analyze_database()
    if connection.vendor != "sqlite":
        assert took is None  # autovacuum keeps PostgreSQL's statistics
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        analysed = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "EXPLAIN QUERY PLAN DELETE FROM search_post_fts_data WHERE id >= 1 AND id <= 2"
        )
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "forum_post" in analysed
    assert not {table for table in analysed if table.startswith("search_post_fts")}
    assert "INTEGER PRIMARY KEY" in plan
