"""Reactions to posts and members' bookmarks."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.forum.models import Bookmark, Post, Reaction, ReactionKind, Topic
from townsquare.moderation import limits
from townsquare.notifications.actions import notify_on_commit


def _locked_post(post: Post) -> Post:
    return Post.objects.select_for_update().select_related("topic__category").get(pk=post.pk)


def _count(post: Post, kind: str, delta: int) -> None:
    counts = dict(post.reaction_counts)
    counts[kind] = counts.get(kind, 0) + delta
    if counts[kind] <= 0:
        del counts[kind]
    post.reaction_counts = counts
    post.save(update_fields=["reaction_counts"])
    Topic.objects.filter(pk=post.topic_id).update(reaction_count=F("reaction_count") + delta)


@transaction.atomic
def add_reaction(actor: User, post: Post, kind: str) -> Post:
    if kind not in ReactionKind.values:
        raise ValidationError({"kind": _("Unknown reaction.")})
    post = _locked_post(post)
    permissions.refuse_if_silenced(actor)
    if not permissions.may_react(actor, get_community(), post):
        if post.author_id == actor.pk:
            raise ValidationError(_("You cannot react to your own post."))
        raise PermissionDenied
    if not Reaction.objects.filter(post=post, user=actor, kind=kind).exists():
        limits.check_rate(actor, "reaction")
    _reaction, created = Reaction.objects.get_or_create(post=post, user=actor, kind=kind)
    if created:
        _count(post, kind, +1)
        activity.record(
            actor, "post.reacted", post, kind=kind, topic=post.topic_id,
            category=post.topic.category_id, author=post.author_id,
        )  # fmt: skip
        notify_on_commit("reaction", post.pk, actor=actor.pk, kind=kind)
    return post


@transaction.atomic
def import_reaction(member: User, post: Post, kind: str, *, at: datetime) -> bool:
    """A reaction given in the past (importers, the demo's history): written with its
    original time, counted on the post and topic like any other, nobody notified. Returns
    whether it was new (a member reacts once per kind)."""
    if kind not in ReactionKind.values:
        raise ValidationError({"kind": _("Unknown reaction.")})
    post = _locked_post(post)
    if post.author_id == member.pk:
        raise ValidationError(_("You cannot react to your own post."))
    _reaction, created = Reaction.objects.get_or_create(
        post=post, user=member, kind=kind, defaults={"created_at": at}
    )
    if created:
        _count(post, kind, +1)
        activity.record(
            member, "post.reacted", post, at=at, kind=kind, topic=post.topic_id,
            category=post.topic.category_id,
        )  # fmt: skip
    return created


@transaction.atomic
def remove_reaction(actor: User, post: Post, kind: str) -> Post:
    post = _locked_post(post)
    if not permissions.may_view_post(actor, get_community(), post):
        raise PermissionDenied
    deleted, _counts = Reaction.objects.filter(post=post, user=actor, kind=kind).delete()
    if deleted:
        _count(post, kind, -1)
        activity.record(actor, "post.unreacted", post, kind=kind, topic=post.topic_id)
    return post


@transaction.atomic
def add_bookmark(actor: User, post: Post) -> Bookmark:
    if not permissions.may_bookmark(actor, get_community(), post):
        raise PermissionDenied
    bookmark, created = Bookmark.objects.get_or_create(user=actor, post=post)
    if created:
        activity.record(actor, "post.bookmarked", post, topic=post.topic_id)
    return bookmark


@transaction.atomic
def remove_bookmark(actor: User, post: Post) -> None:
    deleted, _counts = Bookmark.objects.filter(user=actor, post=post).delete()
    if deleted:
        activity.record(actor, "post.unbookmarked", post, topic=post.topic_id)
