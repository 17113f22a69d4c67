from datetime import UTC, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from townsquare.analytics import rollups


class Command(BaseCommand):
    help = (
        "Turn the activity log into the analytics' daily aggregates: by default the "
        "incremental run (today, yesterday and days with late events)."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--rebuild",
            action="store_true",
            help="Recompute every day from the raw log (and restamp the survey answers' months).",
        )
        which.add_argument("--days", type=int, help="Recompute the last N days (today included).")

    def handle(self, *args, **options) -> None:
        if options["rebuild"]:
            count = rollups.rebuild()
        elif options["days"] is not None:
            if options["days"] < 1:
                raise CommandError("--days must be 1 or more.")
            today = timezone.now().astimezone(UTC).date()
            count = rollups.rollup(today - timedelta(days=n) for n in range(options["days"]))
        else:
            count = rollups.rollup_recent()
        self.stdout.write(f"Rolled up {count} days.")
