"""The invitation an imported member receives: a link to choose a password and sign in.

The link is allauth's password-reset link, so it expires like one (PASSWORD_RESET_TIMEOUT,
three days by default); after that, "Forgot your password?" sends a fresh one."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from townsquare.accounts.models import User
from townsquare.core.models import Community


def invitation_link(member: User, site_url: str) -> str:
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(member),
            "key": default_token_generator.make_token(member),
        },
    )
    return site_url.rstrip("/") + path


def send_invitation(member: User, *, inviter: User, community: Community, site_url: str) -> None:
    """Queue the invitation (sent once the import's transaction commits)."""
    with translation.override(member.language):
        context = {
            "member": member,
            "inviter": inviter,
            "community": community,
            "link": invitation_link(member, site_url),
            "sign_in": site_url.rstrip("/") + reverse("account_login"),
        }
        subject = render_to_string("imports/email/invitation_subject.txt", context)
        body = render_to_string("imports/email/invitation_message.txt", context)
    EmailMessage(" ".join(subject.split()), body, to=[member.email]).send()
