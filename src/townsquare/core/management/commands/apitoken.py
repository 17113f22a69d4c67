from django.core.management.base import BaseCommand, CommandError

from townsquare.accounts import actions
from townsquare.accounts.models import User


class Command(BaseCommand):
    help = "Create a personal API token for a member (by handle or email) and print it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="The member's handle or email address.")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, **options) -> None:
        who = options["username"].lstrip("@")
        member = User.objects.filter(handle__iexact=who).first() or (
            User.objects.filter(email__iexact=who).first()
        )
        if member is None or not member.is_active:
            raise CommandError(f"No active member {who!r}.")
        _token, raw = actions.create_api_token(member, member, options["name"])
        self.stdout.write(raw)
