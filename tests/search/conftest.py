"""Forum rows for search tests, written directly (the forum's actions live on another
branch) and indexed through the real path: schedule_indexing -> on commit -> Celery task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_member
from townsquare.core.permissions import forget_forum_access
from townsquare.forum.models import Audience, Category, CategoryKind, Post, Tag, Topic
from townsquare.search.index import schedule_indexing


class Forum:
    """Makes categories, topics and posts, and indexes them as the forum's actions will."""

    def __init__(self, capture, guidelines) -> None:
        self._capture = capture
        self._guidelines = guidelines
        self._members: dict[str, object] = {}

    def member(self, handle: str, **extra):
        if handle not in self._members:
            self._members[handle] = make_member(handle, self._guidelines, **extra)
        return self._members[handle]

    def category(
        self,
        name: str,
        *,
        read_access: str = Audience.EVERYONE,
        kind: str = CategoryKind.DISCUSSION,
        parent: Category | None = None,
        groups=(),
    ) -> Category:
        category = Category.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), read_access=read_access, kind=kind,
            parent=parent,
        )  # fmt: skip
        category.read_groups.set(groups)
        forget_forum_access()
        return category

    def topic(
        self,
        category: Category,
        title: str,
        text: str,
        *,
        author=None,
        tags=(),
        anonymous: bool = False,
        days_ago: float = 0,
        index: bool = True,
        **fields,
    ) -> Post:
        """A topic with its opening post; returns the post."""
        created = timezone.now() - timedelta(days=days_ago)
        topic = Topic.objects.create(
            category=category, title=title, slug="t", author=author, is_anonymous=anonymous,
            created_at=created, last_posted_at=created, **fields,
        )  # fmt: skip
        for name in tags:
            topic.tags.add(Tag.objects.get_or_create(name=name)[0])
        return self.reply(topic, text, author=author, anonymous=anonymous, days_ago=days_ago,
                          index=index)  # fmt: skip

    def reply(
        self,
        topic: Topic,
        text: str,
        *,
        author=None,
        anonymous: bool = False,
        days_ago: float = 0,
        index: bool = True,
        post_id: int | None = None,
    ) -> Post:
        number = topic.highest_post_number + 1
        post = Post.objects.create(
            id=post_id, topic=topic, number=number, author=author, is_anonymous=anonymous,
            body=text, body_html=f"<p>{text}</p>", text=text,
            created_at=timezone.now() - timedelta(days=days_ago),
        )  # fmt: skip
        Topic.objects.filter(pk=topic.pk).update(highest_post_number=number)
        topic.highest_post_number = number
        if index:
            self.index(post.pk)
        return post

    def index(self, *post_ids: int) -> None:
        with self._capture(execute=True):
            schedule_indexing(post_ids)


@pytest.fixture
def forum(db, guidelines, django_capture_on_commit_callbacks) -> Forum:
    return Forum(django_capture_on_commit_callbacks, guidelines)


@pytest.fixture
def visitor():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
