"""A member who has used every part of the platform, for the data export and deletion
tests: their personal data is written with values found nowhere else, so a search of the
whole database for them finds only what is theirs."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import make_member
from tests.forum.test_uploads import image_bytes
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import ApiToken, Profile, User
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.forum.actions.uploads import store_upload, upload_markdown
from townsquare.forum.models import Category, CategoryKind, Post, Topic
from townsquare.messaging import actions as messaging
from townsquare.messaging.models import Conversation
from townsquare.moderation.actions.flags import flag
from townsquare.search.index import index_now

EMAIL = "quintessa.private@example.org"
HANDLE = "zyxwvu_q"
NAME = "Quintessa Marlowe-Zed"
BIO = "Grows kumquats 771 on a balcony"


@dataclass
class Quinn:
    """The member, and what they made or touched."""

    member: User
    bob: User
    general: Category
    own_topic: Topic  # only Quinn wrote in it
    shared_topic: Topic  # Quinn opened it, Bob replied
    bobs_topic: Topic  # Bob opened it, Quinn replied
    reply: Post  # Quinn's reply in Bob's topic
    bobs_mention: Post  # Bob's reply that mentions @zyxwvu_q
    conversation: Conversation
    token: ApiToken


@pytest.fixture
def quinn(guidelines, settings) -> Quinn:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    member = make_member(HANDLE, guidelines, display_name=NAME)
    User.objects.filter(pk=member.pk).update(email=EMAIL)
    member.refresh_from_db()
    bob = make_member("bob", guidelines)
    account_actions.update_profile(
        member,
        member,
        bio=BIO,
        company="Kumquat Works",
        job_title="Grower",
        location="Balcony Town",
        expertise=["citrus"],
        avatar=SimpleUploadedFile("me.png", image_bytes(), content_type="image/png"),
    )
    Profile.objects.filter(user=member).update(
        external_id="CRM-771", custom_fields={"nickname": "Q-kumquat"}
    )
    token, _raw = account_actions.create_api_token(member, member, "my script")
    account_actions.follow(member, bob)
    account_actions.follow(bob, member)
    general = forum.create_category(None, name="General", kind=CategoryKind.DISCUSSION)
    picture = store_upload(
        member, SimpleUploadedFile("garden.png", image_bytes(), content_type="image/png")
    )
    own = forum.create_topic(
        member, general, title="Balcony citrus care", body=f"Look:\n\n{upload_markdown(picture)}"
    )
    shared = forum.create_topic(member, general, title="Winter covers", body="Which fleece?")
    forum.create_post(bob, shared, body="The thick one works for me.")
    bobs = forum.create_topic(bob, general, title="Watering schedules", body="How often?")
    reply = forum.create_post(member, bobs, body="Twice a week in summer.")
    mention = forum.create_post(bob, bobs, body=f"Thanks @{HANDLE}, that helps.")
    forum.add_reaction(member, bobs.posts.get(number=1), "like")
    forum.add_bookmark(member, bobs.posts.get(number=1))
    forum.mark_read(member, bobs, 3)
    conversation = messaging.start_conversation(
        member, get_community(), ["bob"], "Hi Bob, about the fleece."
    )
    messaging.send_message(bob, conversation, "Sure, ask away.")
    flag(member, mention, reason="off_topic")
    index_now(list(Post.objects.values_list("pk", flat=True)))  # as the job would on commit
    return Quinn(
        member=member,
        bob=bob,
        general=general,
        own_topic=own,
        shared_topic=shared,
        bobs_topic=bobs,
        reply=reply,
        bobs_mention=mention,
        conversation=conversation,
        token=token,
    )
