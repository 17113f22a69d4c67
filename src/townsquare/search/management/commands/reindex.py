import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from townsquare.search.index import BATCH_SIZE, Progress, reindex_all


class Command(BaseCommand):
    help = _(
        "Rebuild the search index from every forum post. Search keeps answering from the "
        "old index while this runs."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=_("Posts read, analysed and written at a time (default %(default)s)."),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help=_("Processes analysing text (default: one per CPU, here %(default)s)."),
        )

    def handle(self, *args, **options) -> None:
        batch_size, workers = options["batch_size"], options["workers"]
        if batch_size < 1 or workers < 1:
            raise CommandError(_("--batch-size and --workers must be at least 1."))
        verbosity = options["verbosity"]
        last_report = [0.0]

        def report(progress: Progress) -> None:
            now = time.monotonic()
            if verbosity < 1 or (now - last_report[0] < 2 and progress.done < progress.total):
                return
            last_report[0] = now
            percent = 100 * progress.done / progress.total if progress.total else 100
            self.stdout.write(
                _("Indexed %(done)d of %(total)d posts (%(percent).0f%%, %(rate).0f a second)")
                % {
                    "done": progress.done,
                    "total": progress.total,
                    "percent": percent,
                    "rate": progress.rate,
                }
            )

        started = time.monotonic()
        count = reindex_all(batch_size=batch_size, workers=workers, progress=report)
        self.stdout.write(
            self.style.SUCCESS(
                _("Search index rebuilt: %(count)d posts in %(seconds).1f seconds.")
                % {"count": count, "seconds": time.monotonic() - started}
            )
        )
