"""The demo groups: one of each kind, with owners, members, a pending request, an
invitation and a discussion or two in each group's category. Written through the same
actions as everything else; a community that already has groups is left as it is."""

from townsquare.accounts.models import Role, User
from townsquare.core import actions as core_actions
from townsquare.forum import actions as forum_actions
from townsquare.groups import actions
from townsquare.groups.models import GroupKind, GroupRole

GROUPS = [
    {
        "name": "Data nerds", "kind": GroupKind.INTEREST,
        "description": "Dashboards, SQL and the odd chart crime.",
        "topics": [("Favourite chart of the month?", "Post the best chart you made this month.")],
    },
    {
        "name": "Mobile app users", "kind": GroupKind.PRODUCT,
        "description": "Everything about the iOS and Android apps.",
        "topics": [("Offline mode tips", "How do you use the app on a plane?")],
    },
    {
        "name": "Kraków chapter", "kind": GroupKind.CHAPTER, "location": "Kraków, Poland",
        "description": "Meet-ups in Kraków, every second Thursday.",
        "topics": [("Next meet-up: venue ideas", "Somewhere near the old town?")],
    },
    {
        "name": "Customer advisory board", "kind": GroupKind.ADVISORY_BOARD,
        "description": "Roadmap previews under NDA.",
        "topics": [("Q3 roadmap preview", "Please read before our call on Monday.")],
    },
    {
        "name": "Events committee", "kind": GroupKind.COMMITTEE,
        "description": "Plans the yearly conference.",
        "topics": [("Call for speakers", "Draft of the call: comments welcome.")],
    },
    {
        "name": "Newcomers", "kind": GroupKind.NEWCOMERS,
        "description": "New here? Ask anything: no question is too small.",
        "topics": [("Introduce yourself!", "Say hello and tell us what brought you here.")],
    },
    {
        "name": "Early adopters", "kind": GroupKind.EARLY_ADOPTERS,
        "description": "Try features before everyone else and tell us what breaks.",
        "topics": [("Beta: new editor", "The new editor is on for this group. Feedback here.")],
    },
]  # fmt: skip


def load() -> dict[str, int]:
    from townsquare.groups.models import Group

    if Group.objects.exists():
        return {}
    owner = User.objects.filter(role=Role.MANAGER).order_by("pk").first()
    people = list(
        User.objects.filter(role=Role.MEMBER, guidelines_version__isnull=False).order_by("pk")
    )
    counts = {"groups": 0, "memberships": 0, "topics": 0}
    for number, entry in enumerate(GROUPS):
        group = actions.create_group(
            None, name=entry["name"], kind=entry["kind"], description=entry["description"],
            location=entry.get("location", ""),
        )  # fmt: skip
        if owner is not None:
            actions.add_member(None, group, owner, role=GroupRole.OWNER)
        members = people[number * 3 : number * 3 + 6]
        for member in members:
            actions.add_member(None, group, member)
            counts["memberships"] += 1
        authors = [owner, *members] if owner else members
        for index, (title, body) in enumerate(entry["topics"]):
            if authors:
                forum_actions.create_topic(
                    None, group.category, title=title, body=body,
                    author=authors[index % len(authors)],
                )  # fmt: skip
                counts["topics"] += 1
        outsiders = [person for person in people if person not in members]
        if entry["kind"] in {GroupKind.CHAPTER, GroupKind.EARLY_ADOPTERS} and outsiders:
            actions.request_to_join(outsiders[-1], group, "I would love to take part.")
        if entry["kind"] == GroupKind.COMMITTEE and outsiders:
            actions.invite_member(
                None, group, outsiders[-2] if len(outsiders) > 1 else outsiders[0]
            )
        if entry["kind"] == GroupKind.NEWCOMERS:
            core_actions.update_community(None, newcomers_group=group, newcomers_days=30)
        counts["groups"] += 1
    return counts
