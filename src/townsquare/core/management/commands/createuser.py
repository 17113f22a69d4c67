from django.core.management.base import BaseCommand

from townsquare.accounts.models import Role
from townsquare.core.commands import create_account


class Command(BaseCommand):
    help = "Create a member account (non-interactive), its email already verified."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--handle", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", help="Display name; defaults to the handle.")
        parser.add_argument("--role", choices=Role.values, default=Role.MEMBER)

    def handle(self, *args, **options) -> None:
        user = create_account(
            email=options["email"],
            handle=options["handle"],
            display_name=options["name"] or options["handle"],
            password=options["password"],
            role=options["role"],
        )
        self.stdout.write(self.style.SUCCESS(f"@{user.handle} created ({user.role})."))
