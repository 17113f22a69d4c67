from django.core.management.base import BaseCommand

from townsquare.accounts.models import Role
from townsquare.core.commands import create_account


class Command(BaseCommand):
    help = "Create an administrator account (non-interactive)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--handle", help="Defaults to the part of the email before @.")
        parser.add_argument("--name", help="Display name; defaults to the handle.")

    def handle(self, *args, **options) -> None:
        handle = options["handle"] or options["email"].split("@")[0]
        user = create_account(
            email=options["email"],
            handle=handle,
            display_name=options["name"] or handle,
            password=options["password"],
            role=Role.ADMIN,
        )
        self.stdout.write(self.style.SUCCESS(f"Administrator @{user.handle} created."))
