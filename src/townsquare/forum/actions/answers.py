"""Q&A: the asker or a moderator marks the reply that answered the question."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.forum.models import Post, PostKind, Topic
from townsquare.notifications.actions import notify_on_commit


@transaction.atomic
def accept_answer(actor: User | None, post: Post, *, at: datetime | None = None) -> Topic:
    """Mark a reply as the accepted answer, replacing any earlier choice. ``actor=None`` is
    the system (importers, the demo), which may give the original time ``at``."""
    post = Post.objects.select_related("topic__category").get(pk=post.pk)
    topic = Topic.objects.select_for_update().select_related("category").get(pk=post.topic_id)
    if actor is not None:
        if at is not None or not permissions.may_view_post(actor, get_community(), post):
            raise PermissionDenied
        if not permissions.may_accept_answer(actor, get_community(), topic):
            if not topic.category.is_qa:
                raise ValidationError(_("Only questions in Q&A categories have accepted answers."))
            raise PermissionDenied
    elif not topic.category.is_qa:
        raise ValidationError(_("Only questions in Q&A categories have accepted answers."))
    if post.is_first or post.kind != PostKind.REGULAR or post.is_deleted:
        raise ValidationError(_("Only a reply to the question can be the accepted answer."))
    if topic.accepted_post_id == post.pk:
        return topic
    now = at or timezone.now()
    previous = topic.accepted_post_id
    topic.accepted_post, topic.solved_at = post, now
    topic.save(update_fields=["accepted_post", "solved_at"])
    if previous is None:
        activity.record(
            actor,
            "topic.solved",
            topic,
            category=topic.category_id,
            post=post.pk,
            at=now,
            seconds=int((now - topic.created_at).total_seconds()),
            by_asker=actor is not None and actor.pk == topic.author_id,
        )
    activity.record(
        actor, "answer.accepted", post, at=now, topic=topic.pk, category=topic.category_id,
        previous=previous, author=post.author_id,
    )  # fmt: skip
    if at is None:
        notify_on_commit("answer", post.pk, actor=actor.pk if actor else None)
    return topic


@transaction.atomic
def unaccept_answer(actor: User, topic: Topic) -> Topic:
    topic = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
    if not permissions.may_accept_answer(actor, get_community(), topic):
        raise PermissionDenied
    if topic.accepted_post_id is not None:
        previous = topic.accepted_post_id
        topic.accepted_post, topic.solved_at = None, None
        topic.save(update_fields=["accepted_post", "solved_at"])
        activity.record(actor, "answer.unaccepted", topic, post=previous)
    return topic
