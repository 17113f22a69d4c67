from django.core.management.base import BaseCommand

from townsquare.analytics import sentiment_rollup


class Command(BaseCommand):
    help = (
        "Score the sentiment of forum posts: by default the incremental run (new, edited "
        "and moved posts); --rebuild scores every post again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Score every post again and sum every day."
        )

    def handle(self, *args, **options) -> None:
        if options["rebuild"]:
            self.stdout.write(f"Scored {sentiment_rollup.rebuild()} posts.")
        else:
            self.stdout.write(f"Scored or dropped {sentiment_rollup.score_recent()} posts.")
