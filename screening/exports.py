"""The screen-fail log as CSV or XLSX, streamed row by row: de-identified unless an administrator asks otherwise."""

import csv
import tempfile

from openpyxl import Workbook

DEIDENTIFIED_COLUMNS = [
    "screening_number",
    "candidate_number",
    "screening_month",
    "age_years",
    "sex",
    "cohort",
    "coordinator",
    "criteria_version",
    "verdict",
    "failed_criteria",
    "signed",
    "signed_month",
    "signature_meaning",
    "enrollment",
]
IDENTIFIED_COLUMNS = ["initials", "mrn", "birth_date", "screening_date", "signed_at"]


def columns(*, identified):
    return DEIDENTIFIED_COLUMNS + (IDENTIFIED_COLUMNS if identified else [])


def _age(born, on):
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def export_rows(queryset, *, identified):
    """One list per screening, in `columns()` order; dates reduced to year-month unless identified."""
    for screening in queryset.iterator(chunk_size=2000):
        candidate = screening.candidate
        signature = getattr(screening, "signature", None)
        row = [
            screening.number,
            candidate.screening_number,
            screening.screening_date.strftime("%Y-%m"),
            _age(candidate.birth_date, screening.screening_date),
            candidate.sex,
            screening.cohort,
            screening.coordinator.get_username(),
            screening.criteria_version.label,
            screening.verdict or "draft",
            " ".join(o.code for o in screening.failed_outcomes),
            "yes" if signature else "no",
            signature.signed_at.strftime("%Y-%m") if signature else "",
            signature.meaning if signature else "",
            screening.enrollment,
        ]
        if identified:
            row += [
                candidate.initials,
                candidate.mrn,
                candidate.birth_date.isoformat(),
                screening.screening_date.isoformat(),
                signature.signed_at.isoformat() if signature else "",
            ]
        yield row


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows, header):
    """CSV text a line at a time, for a streaming response."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(rows, header):
    """An XLSX workbook written in openpyxl's write-only mode into a temporary file, returned open at its start."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Screen-fail log")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response that sends it closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
