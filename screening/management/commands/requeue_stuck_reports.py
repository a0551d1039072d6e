"""Queue again the reports that have been queued or running too long: a worker died, or a message was lost."""

from django.conf import settings
from django.core.management.base import BaseCommand

from screening.reports import reports_requeue_stuck


class Command(BaseCommand):
    help = "Requeue PDF reports stuck in queued or running (the database status is the truth)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.REPORT_STUCK_AFTER_SECONDS,
            help="Seconds without progress after which a report counts as stuck.",
        )

    def handle(self, *args, older_than, **options):
        count = reports_requeue_stuck(older_than_seconds=older_than)
        self.stdout.write(f"Requeued {count} stuck report{'s' if count != 1 else ''}.")
