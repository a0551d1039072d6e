"""The screen-fail log as CSV or XLSX, streamed row by row, in one of three data sets:

- de-identified (anyone who reads the log): HIPAA Safe Harbor, no names, numbers linking to the chart, dates or ages
  finer than it allows: dates as the year only, ages of 90 and over as "90+";
- limited (administrators, recorded): a limited data set for a site with a data use agreement: year-month dates and
  exact ages, still no direct identifiers;
- identified (administrators, recorded): initials, record number, date of birth and full dates as well.

Every text cell is neutralised against formula injection (OWASP: a leading = + - @ TAB or CR is prefixed with a
quote), and the XLSX writes user text as string cells, so no cell is ever evaluated by a spreadsheet.
"""

import csv
import tempfile
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

DEIDENTIFIED, LIMITED, IDENTIFIED = "deidentified", "limited", "identified"
DATA_SETS = {
    DEIDENTIFIED: "de-identified (Safe Harbor)",
    LIMITED: "limited data set (months, exact ages)",
    IDENTIFIED: "identified",
}

COMMON_COLUMNS = [
    "screening_number",
    "candidate_number",
    "screening_{period}",
    "age_years",
    "sex",
    "cohort",
    "coordinator",
    "criteria_version",
    "verdict",
    "failed_criteria",
    "signed",
    "signed_{period}",
    "signature_meaning",
    "enrollment",
]
IDENTIFIED_COLUMNS = ["initials", "mrn", "birth_date", "screening_date", "signed_at"]
SAFE_HARBOR_TOP_AGE = 90  # ages of 90 and over are one group


def columns(data_set):
    period = "year" if data_set == DEIDENTIFIED else "month"
    common = [name.format(period=period) for name in COMMON_COLUMNS]
    return common + (IDENTIFIED_COLUMNS if data_set == IDENTIFIED else [])


def _age(born, on):
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def shown_age(age, data_set):
    return f"{SAFE_HARBOR_TOP_AGE}+" if data_set == DEIDENTIFIED and age >= SAFE_HARBOR_TOP_AGE else age


def _period(day, data_set):
    return day.strftime("%Y" if data_set == DEIDENTIFIED else "%Y-%m")


def export_rows(queryset, *, data_set):
    """One list per screening, in `columns()` order, with what the data set allows."""
    for screening in queryset.iterator(chunk_size=2000):
        candidate = screening.candidate
        signature = getattr(screening, "signature", None)
        row = [
            screening.number,
            candidate.screening_number,
            _period(screening.screening_date, data_set),
            shown_age(_age(candidate.birth_date, screening.screening_date), data_set),
            candidate.sex,
            screening.cohort,
            screening.coordinator.get_username(),
            screening.criteria_version.label,
            screening.verdict or "draft",
            " ".join(o.code for o in screening.failed_outcomes),
            "yes" if signature else "no",
            _period(signature.signed_at, data_set) if signature else "",
            signature.meaning if signature else "",
            screening.enrollment,
        ]
        if data_set == IDENTIFIED:
            row += [
                candidate.initials,
                candidate.mrn,
                candidate.birth_date,  # dates as dates: a spreadsheet sorts and filters them; CSV writes ISO
                screening.screening_date,
                signature.signed_at.isoformat() if signature else "",
            ]
        yield [neutralised(value) for value in row]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value):
    """Text a spreadsheet would read as a formula, made plain text: "=HYPERLINK(...)" becomes "'=HYPERLINK(...)"."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows, header):
    """CSV text a line at a time, for a streaming response."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(rows, header, title="Screen-fail log"):
    """An XLSX workbook written in openpyxl's write-only mode into a temporary file, returned open at its start.
    Text goes in as string cells: openpyxl would otherwise make a formula of any text that starts with "="."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"  # the header stays in view
    for number, name in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(number)].width = max(len(name) + 2, 12)
    sheet.append(header)
    written = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        written += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{written + 1}"  # a filter on every column
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response that sends it closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def _cell(sheet, value):
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
