"""Load the NCT00349206 record, its criteria and the vocabularies once; never overwrite what admins have edited."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from trials.models import CriteriaVersion, Trial
from trials.services import criteria_version_activate_shipped

FIXTURES = ["nct00349206", "labs", "drugs", "nct00349206_criteria"]


class Command(BaseCommand):
    help = "Load the trial record, lab and drug vocabularies and the original criteria version, if not loaded yet."

    @transaction.atomic
    def handle(self, *args, verbosity=1, **options):
        if Trial.objects.filter(nct_id="NCT00349206").exists():
            message = "NCT00349206 is already loaded; nothing changed."
        else:
            call_command("loaddata", *FIXTURES, verbosity=0)
            # The shipped version comes as a draft, so its criteria can be loaded; it is active with the vocabulary
            # shipped beside it.
            shipped = CriteriaVersion.objects.get(trial__nct_id="NCT00349206", label="Original protocol")
            criteria_version_activate_shipped(version=shipped)
            message = "Loaded NCT00349206, its criteria and the lab and drug vocabularies."
        if verbosity:
            self.stdout.write(message)
