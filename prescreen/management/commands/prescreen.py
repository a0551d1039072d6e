"""Start a pre-screen run from a FHIR bulk export on disk (a folder of NDJSON files, a zip of them, or the files),
as the upload page does; with --wait, follow it until it is done."""

import time
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from prescreen import services
from prescreen.models import PrescreenRun
from prescreen.partition import sources_from_paths
from screening.rules.engine import COHORTS
from trials.selectors import trials_open_for_screening

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Pre-screen the patients of a FHIR bulk export against the active criteria, as the given user."
    requires_system_checks = []  # the checks load every URL and view (and WeasyPrint): a second, for nothing here

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="A folder of .ndjson files, a .zip of them, or .ndjson files.")
        parser.add_argument("--user", required=True, help="Who starts the run (an investigator or administrator).")
        parser.add_argument("--reference-date", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD")
        parser.add_argument("--cohort", choices=list(COHORTS), default="phase2")
        parser.add_argument("--wait", action="store_true", help="Follow the run until it is done.")

    def handle(self, *args, paths, user, reference_date, cohort, wait, **options):
        starter = get_user_model().objects.filter(username=user).first()
        if starter is None or not starter.has_perm("prescreen.add_prescreenrun"):
            raise CommandError(f"{user} is not a user who may start pre-screen runs.")
        trial = trials_open_for_screening().first()
        if trial is None:
            raise CommandError("No trial has an active criteria version yet; an administrator must publish one.")
        try:
            run = services.prescreen_start(
                user=starter,
                trial=trial,
                sources=sources_from_paths(paths),
                reference_date=reference_date,
                cohort=cohort,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Run {run.pk}: {run.patients_total} patients in {run.chunks_total} chunks.")
        for item in run.problems:
            self.stdout.write(f"  left out: {item['count']} x {item['problem']}")
        if wait:
            run = self._follow(run)
        self.stdout.write(f"Run {run.pk}: {run.get_status_display().lower()}, {run.patients_done} patients")

    def _follow(self, run):
        shown = None
        run.refresh_from_db()
        while run.status == PrescreenRun.Status.RUNNING:
            if run.patients_done != shown:
                shown = run.patients_done
                rate = f", {run.rate:.0f} patients/s" if run.rate else ""
                self.stdout.write(f"  {run.patients_done} of {run.patients_total} patients{rate}")
            time.sleep(POLL_SECONDS)
            run.refresh_from_db()
        return run
