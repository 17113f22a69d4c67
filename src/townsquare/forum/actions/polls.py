"""Polls inside posts: created and updated with their post, voted on by members."""

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.forum.cooking import PollSpec
from townsquare.forum.models import Poll, PollKind, PollOption, PollVote, Post


def _create_poll(post: Post, spec: PollSpec) -> None:
    poll = Poll.objects.create(
        post=post,
        name=spec.name,
        question=spec.question[:300],
        kind=spec.kind,
        max_choices=spec.max_choices,
        closes_at=spec.closes_at,
    )
    PollOption.objects.bulk_create(
        PollOption(poll=poll, position=position, text=text)
        for position, text in enumerate(spec.options)
    )


def sync_polls(post: Post, specs: Sequence[PollSpec], *, new: bool) -> None:
    """Make the post's polls match its text. Options of a poll that has votes cannot
    change (the votes would then mean something else); its question and closing time can."""
    now = timezone.now()
    existing = {} if new else {poll.name: poll for poll in post.polls.prefetch_related("options")}
    for spec in specs:
        poll = existing.pop(spec.name, None)
        if (
            spec.closes_at is not None
            and spec.closes_at <= now
            and (poll is None or poll.closes_at != spec.closes_at)
        ):
            raise ValidationError({"body": _("The poll's closing time has already passed.")})
        if poll is None:
            _create_poll(post, spec)
            continue
        same_ballot = (
            [option.text for option in poll.options.all()] == list(spec.options)
            and poll.kind == spec.kind
            and poll.max_choices == spec.max_choices
        )
        if not same_ballot:
            if poll.voter_count:
                raise ValidationError(
                    {
                        "body": _(
                            "The poll “%(name)s” already has votes, so its options can no "
                            "longer change."
                        )
                        % {"name": poll.name}
                    }
                )
            poll.delete()
            _create_poll(post, spec)
            continue
        poll.question, poll.closes_at = spec.question[:300], spec.closes_at
        poll.save(update_fields=["question", "closes_at"])
    for leftover in existing.values():
        if leftover.voter_count:
            raise ValidationError(
                {"body": _("The poll “%(name)s” has votes and cannot be removed.")
                 % {"name": leftover.name}}
            )  # fmt: skip
        leftover.delete()


def _locked_poll(poll: Poll) -> Poll:
    return Poll.objects.select_for_update().select_related("post__topic__category").get(pk=poll.pk)


def _check_may_vote(actor: User, poll: Poll) -> None:
    permissions.refuse_if_silenced(actor)
    if not permissions.may_vote(actor, get_community(), poll):
        if poll.is_closed() and permissions.may_view_post(actor, get_community(), poll.post):
            raise ValidationError(_("This poll is closed."))
        raise PermissionDenied


@transaction.atomic
def vote(actor: User, poll: Poll, option_ids: Iterable[int]) -> Poll:
    """Cast or change a member's ballot: one ballot per member, one or more options."""
    poll = _locked_poll(poll)
    _check_may_vote(actor, poll)
    chosen = list(dict.fromkeys(int(option_id) for option_id in option_ids))
    options = {option.pk: option for option in poll.options.filter(pk__in=chosen)}
    if not chosen or len(options) != len(chosen):
        raise ValidationError({"options": _("Choose one of the poll's options.")})
    if poll.kind == PollKind.SINGLE and len(chosen) != 1:
        raise ValidationError({"options": _("Choose exactly one option.")})
    limit = poll.max_choices or poll.options.count()
    if len(chosen) > limit:
        raise ValidationError(
            {
                "options": ngettext(
                    "Choose at most %(max)d option.", "Choose at most %(max)d options.", limit
                )
                % {"max": limit}
            }
        )
    previous = set(
        PollVote.objects.filter(poll=poll, user=actor).values_list("option_id", flat=True)
    )
    if previous == set(chosen):
        return poll
    dropped, added = previous - set(chosen), set(chosen) - previous
    PollVote.objects.filter(poll=poll, user=actor, option_id__in=dropped).delete()
    PollOption.objects.filter(pk__in=dropped).update(vote_count=F("vote_count") - 1)
    PollVote.objects.bulk_create(PollVote(poll=poll, option_id=pk, user=actor) for pk in added)
    PollOption.objects.filter(pk__in=added).update(vote_count=F("vote_count") + 1)
    if not previous:
        Poll.objects.filter(pk=poll.pk).update(voter_count=F("voter_count") + 1)
    activity.record(actor, "poll.voted", poll, post=poll.post_id, changed=bool(previous))
    poll.refresh_from_db()
    return poll


@transaction.atomic
def retract_vote(actor: User, poll: Poll) -> Poll:
    poll = _locked_poll(poll)
    _check_may_vote(actor, poll)
    mine = list(PollVote.objects.filter(poll=poll, user=actor).values_list("option_id", flat=True))
    if mine:
        PollVote.objects.filter(poll=poll, user=actor).delete()
        PollOption.objects.filter(pk__in=mine).update(vote_count=F("vote_count") - 1)
        Poll.objects.filter(pk=poll.pk).update(voter_count=F("voter_count") - 1)
        activity.record(actor, "poll.vote_retracted", poll, post=poll.post_id)
        poll.refresh_from_db()
    return poll


@transaction.atomic
def close_poll(actor: User, poll: Poll) -> Poll:
    """The post's author or a moderator closes a poll early; results become public."""
    poll = _locked_poll(poll)
    community = get_community()
    if not permissions.may_view_post(actor, community, poll.post) or not (
        permissions.is_staff(actor) or poll.post.author_id == actor.pk
    ):
        raise PermissionDenied
    if poll.closed_at is None:
        poll.closed_at = timezone.now()
        poll.save(update_fields=["closed_at"])
        activity.record(actor, "poll.closed", poll, post=poll.post_id)
    return poll
