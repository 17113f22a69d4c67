"""The demo forum: categories of every kind and a few hundred topics and replies in English,
Chinese and Polish (demo/forum.json), written through the same actions as everything else,
with their original times so the forum looks lived in."""

import json
import random
import zoneinfo
from datetime import datetime, time, timedelta
from pathlib import Path

from django.utils import timezone

from townsquare.accounts.models import Role, User
from townsquare.core import activity
from townsquare.forum import actions
from townsquare.forum.models import Category, Poll

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "forum.json"


def _publish_time(entry: dict) -> datetime:
    zone = zoneinfo.ZoneInfo(entry["timezone"])
    day = (timezone.now() + timedelta(days=entry["first_in_days"])).astimezone(zone).date()
    return datetime.combine(day, time.fromisoformat(entry["time"]), tzinfo=zone)


def load() -> dict[str, int]:
    """Load the demo forum once; a community that has categories is left as it is."""
    if Category.objects.exists():
        return {}
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    people = {user.handle: user for user in User.objects.all()}
    staff = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    manager = User.objects.filter(role=Role.MANAGER).order_by("pk").first() or staff
    categories: dict[str, Category] = {}
    for entry in sorted(data["categories"], key=lambda c: c["parent"] is not None):
        categories[entry["slug"]] = actions.create_category(
            None,
            name=entry["name"],
            slug=entry["slug"],
            kind=entry["kind"],
            description=entry["description"],
            color=entry["color"],
            position=entry["position"],
            parent=categories.get(entry["parent"]),
            read_access=entry["read_access"],
        )
    now = timezone.now()
    counts = {"topics": 0, "replies": 0}
    for entry in data["topics"]:
        started = now - timedelta(days=entry["days_ago"])
        author = people[entry["author"]]
        topic = actions.create_topic(
            None, categories[entry["category"]], title=entry["title"], body=entry["body"],
            tags=entry["tags"], anonymous=entry["anonymous"], author=author, created_at=started,
        )  # fmt: skip
        posts = {1: topic.posts.get(number=1)}
        _react(posts[1], entry.get("reactions", {}), people)
        for reply in entry["replies"]:
            at = min(started + timedelta(hours=reply["hours_after"]), now)
            post = actions.create_post(
                None, topic, body=reply["body"], reply_to=posts.get(reply.get("reply_to")),
                anonymous=reply["anonymous"], author=people[reply["author"]], created_at=at,
            )  # fmt: skip
            posts[post.number] = post
            _react(post, reply.get("reactions", {}), people)
            if reply.get("accepted"):
                actions.accept_answer(None, post, at=min(at + timedelta(hours=3), now))
            counts["replies"] += 1
        if entry.get("pinned"):
            actions.pin_topic(staff, topic, scope=entry["pinned"])
        if entry.get("closed"):
            actions.set_closed(staff, topic, True)
        counts["topics"] += 1
    _vote_in_polls(people)
    for entry in data["scheduled"]:
        actions.schedule_topic(
            manager, category=categories[entry["category"]], title=entry["title"],
            body=entry["body"], tags=entry["tags"], host_name=entry["host_name"],
            publish_at=_publish_time(entry), recurrence=entry["recurrence"],
            timezone=entry["timezone"],
        )  # fmt: skip
    counts["categories"] = len(categories)
    counts["scheduled"] = len(data["scheduled"])
    return counts


def _react(post, reactions: dict[str, list[str]], people: dict[str, User]) -> None:
    """Reactions came in the hours after the post (so the analytics see them then)."""
    now = timezone.now()
    for kind, handles in reactions.items():
        for n, handle in enumerate(handles):
            at = min(post.created_at + timedelta(hours=1 + 3 * n), now)
            actions.import_reaction(people[handle], post, kind, at=at)


def _vote_in_polls(people: dict[str, User]) -> None:
    """Some members have voted, so results show once you vote."""
    chooser = random.Random(2026)  # the same demo every time
    # The demo's own member@ account is left out, so whoever tries the demo can vote.
    voters = [u for u in people.values() if u.role == Role.MEMBER and u.handle != "member"][:60]
    now = timezone.now()
    for poll in Poll.objects.select_related("post").prefetch_related("options").order_by("pk"):
        options = list(poll.options.all())
        for n, voter in enumerate(chooser.sample(voters, k=min(35, len(voters)))):
            count = 1 if poll.kind == "single" else chooser.randint(1, poll.max_choices or 2)
            picked = chooser.sample(options, k=count)
            # Votes came in over the days after the poll was posted.
            with activity.as_of(min(poll.post.created_at + timedelta(hours=2 + 5 * n), now)):
                actions.vote(voter, poll, [option.pk for option in picked])
