import json
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Role, User
from townsquare.analytics import (
    goals_demo,
    history_demo,
    revenue_demo,
    rollups,
    satisfaction_demo,
    sentiment_demo,
)
from townsquare.core import actions, activity
from townsquare.core.commands import create_account
from townsquare.core.queries import current_guidelines, get_community
from townsquare.events import demo as events_demo
from townsquare.forum import demo as forum_demo
from townsquare.groups import demo as groups_demo
from townsquare.mentoring import demo as mentoring_demo
from townsquare.messaging import demo as messaging_demo
from townsquare.moderation import demo as moderation_demo
from townsquare.onboarding import demo as onboarding_demo

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "people.json"
# Demo sign-ins, printed at the end. A demo is for trying things on a laptop.
STAFF = [
    ("admin@example.com", "admin", "Ada Admin", Role.ADMIN),
    ("manager@example.com", "manager", "Maja Menedżer", Role.MANAGER),
    ("moderator@example.com", "moderator", "Mo Moderator", Role.MODERATOR),
    ("member@example.com", "member", "Mei Member", Role.MEMBER),
]
DEMO_PASSWORD = "townsquare-demo"
#: How long ago the demo's staff joined (the members joined over the year since).
STAFF_DAYS = 380


class Command(BaseCommand):
    help = "Load the demo community (idempotent: running it again adds nothing twice)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        info = data["community"]
        guidelines = current_guidelines()
        if guidelines is None:  # a new community: set it up once, never overwrite it later
            guidelines = actions.publish_guidelines(None, info["guidelines"], "First version")
            actions.update_community(
                None, name=info["name"], tagline=info["tagline"]["en"],
                mission=info["mission"], goals=info["goals"],
            )  # fmt: skip
        community = get_community()
        created = 0
        # The team has been there from the start, a little over a year ago; their sign-up
        # (like everyone's) is in the activity log at that time, not today.
        started = timezone.now() - timedelta(days=STAFF_DAYS)
        for email, handle, name, role in STAFF:
            if not User.objects.filter(email__iexact=email).exists():
                with activity.as_of(started):
                    user = create_account(
                        email=email, handle=handle, display_name=name, password=DEMO_PASSWORD,
                        role=role,
                    )  # fmt: skip
                    account_actions.accept_guidelines(user, guidelines)
                User.objects.filter(pk=user.pk).update(date_joined=started)
                created += 1
        existing = {h.lower() for h in User.objects.values_list("handle", flat=True)}
        for index, person in enumerate(data["people"]):
            if person["handle"].lower() in existing:
                continue
            # The demo's people joined over the past year, not all this minute (so the
            # directory's newest members, the welcome series and the analytics look like a
            # real community): their sign-up events are stamped with that time too.
            joined = timezone.now() - timedelta(days=20 + (index * 37) % 340)
            with activity.as_of(joined):
                user = account_actions.register_member(
                    email=f"{person['handle']}@members.example.com",
                    handle=person["handle"],
                    display_name=person["display_name"],
                    password=None,
                    language=person["language"],
                    timezone_name=person["timezone"],
                )
                account_actions.accept_guidelines(user, guidelines)
                account_actions.update_profile(
                    user, user, bio=person["bio"], company=person["company"],
                    job_title=person["job_title"], location=person["location"],
                    expertise=person["expertise"],
                )  # fmt: skip
            User.objects.filter(pk=user.pk).update(date_joined=joined)
            created += 1
        self.stdout.write(
            f"{community.name}: {created} members added, {User.objects.count()} in all."
        )
        if forum := forum_demo.load():
            self.stdout.write(
                "Forum: {categories} categories, {topics} topics, {replies} replies, "
                "{scheduled} scheduled prompts.".format(**forum)
            )
        # After the forum: a group's own category would make the forum think it is loaded.
        if groups := groups_demo.load():
            self.stdout.write(
                "Groups: {groups} groups, {memberships} memberships, {topics} topics.".format(
                    **groups
                )
            )
        if messages := messaging_demo.load():
            self.stdout.write(
                "Messages: {conversations} conversations, {messages} messages for the "
                "administrator.".format(**messages)
            )
        if mentoring := mentoring_demo.load():
            self.stdout.write(
                "Mentoring: {mentors} mentors, {mentees} mentees, {pairs} pairs, "
                "{waiting} requests waiting.".format(**mentoring)
            )
        if onboarding := onboarding_demo.load():
            self.stdout.write("Welcome series: {steps} mails.".format(**onboarding))
        if moderation := moderation_demo.load():
            self.stdout.write(
                "Moderation: {words} watched words, {pending} items in the review queue "
                "({held} waiting for approval, {hidden} hidden by flags until reviewed).".format(
                    **moderation
                )
            )
        if history := history_demo.load():
            self.stdout.write(
                "History ({days} days): {members} more members, {pageviews} page views, {visits} "
                "member visits, "
                "{reactions} reactions, {questions} questions ({answers} answered, {solved} "
                "solved); {quiet} members went quiet.".format(**history)
            )
        if surveys := satisfaction_demo.load():
            self.stdout.write(
                "Surveys: {nps} NPS answers, {dismissed} “not now”, {csat} CSAT ratings.".format(
                    **surveys
                )
            )
        if sentiment := sentiment_demo.load():
            self.stdout.write(
                "Sentiment: {posts} posts scored, {negative} negative, {positive} positive.".format(
                    **sentiment
                )
            )
        if goals := goals_demo.load():
            self.stdout.write("Analytics: {goals} goals on the dashboard.".format(**goals))
        if revenue := revenue_demo.load():
            self.stdout.write(
                "Revenue: {accounts} CRM accounts, {linked} linked to members, {unmatched} "
                "left to match.".format(**revenue)
            )
        if events := events_demo.load():
            self.stdout.write(
                "Events: {held} community sessions held ({attendees} attendees checked in, "
                "{ratings} ratings), {answers} answers to the next sessions; an AMA "
                "({ama} answers) and a hybrid meetup ({meetup} answers); {events} events "
                "in all.".format(**events)
            )
        # Last: the dashboards read daily aggregates of everything loaded above.
        days = rollups.rebuild()
        self.stdout.write(f"Analytics: {days} days rolled up.")
        self.stdout.write(self.style.SUCCESS("Sign in as an administrator:"))
        self.stdout.write(f"  email:    {STAFF[0][0]}\n  password: {DEMO_PASSWORD}")
        self.stdout.write("Also: manager@, moderator@ and member@example.com, same password.")
