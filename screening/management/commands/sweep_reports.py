"""Run the report sweeper once, by hand (beat runs it every REPORT_SWEEP_SECONDS): send what was never sent, was
lost or was left by a dead worker, and remove files that no report refers to."""

from django.core.management.base import BaseCommand

from screening.reports import reports_sweep


class Command(BaseCommand):
    help = "Send PDF reports that are unsent, lost or abandoned, and remove report files nothing refers to."

    def handle(self, *args, **options):
        sweep = reports_sweep()
        self.stdout.write(
            f"Sent {sweep.sent} report{'s' if sweep.sent != 1 else ''}; "
            f"removed {sweep.orphans_removed} orphaned file{'s' if sweep.orphans_removed != 1 else ''}."
        )
