"""Import a FHIR R4 export (one Bundle, or the NDJSON files of a bulk export) into an open screening, as the upload
on the entry form does: prefilled values still need the coordinator's confirmation before evaluation."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ehr.services import check_size, ehr_import
from screening.models import Screening


class Command(BaseCommand):
    help = "Import a FHIR Bundle or NDJSON set into a screening (by its number), as the given coordinator."

    def add_arguments(self, parser):
        parser.add_argument("screening", help="The screening number, e.g. SCR-0001-1.")
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--user", required=True, help="The coordinator's username (recorded as the importer).")

    def handle(self, *args, screening, files, user, **options):
        try:
            target = Screening.objects.select_related("candidate", "criteria_version").get(number=screening)
        except Screening.DoesNotExist:
            raise CommandError(f"No screening {screening}.") from None
        importer = get_user_model().objects.filter(username=user).first()
        if importer is None or not importer.has_perm("screening.change_screening"):
            raise CommandError(f"{user} is not a user who may enter screenings.")
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}.")
        try:
            check_size(sum(path.stat().st_size for path in files))
            record = ehr_import(
                screening=target, user=importer, files=[(path.name, path.read_bytes()) for path in files]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        uses = {}
        for use in record.values.values_list("use", flat=True):
            uses[use] = uses.get(use, 0) + 1
        self.stdout.write(
            f"{record.resources} resources; values: {uses or 'none'}; skipped {len(record.problems)}; "
            f"not used: {sum(record.not_used.values())}."
        )
