"""The screen-fail log as CSV or XLSX, streamed row by row, in one of three data sets:

- de-identified (anyone who reads the log): HIPAA Safe Harbor, no names, numbers linking to the chart, dates or ages
  finer than it allows: dates as the year only, ages of 90 and over as "90+";
- limited (administrators, recorded): a limited data set for a site with a data use agreement: year-month dates and
  exact ages, still no direct identifiers;
- identified (administrators, recorded): initials, record number, date of birth and full dates as well.

Free text stays out of the de-identified set: the enrollment outcome's reason (`enrollment_reason`) is typed by a
coordinator and may name a person, a place or a date, so only the limited and identified sets carry it. The reasons a
screening failed (`failed_reasons`) are the criteria's plain-language summaries, not the engine's reasons, which quote
the candidate's own dates and values; what an incomplete screening lacks (`missing`) is the labels of the fields it
needs. The enrollment outcome is its label ("Declined by the candidate"), as the log shows it.

The XLSX has a second sheet, the criteria legend: every criterion of the criteria versions of the exported screenings,
with its code, kind, the record's text and the summary; the CSV, one sheet only, has it as a download of its own.

Every text cell is neutralised against formula injection (OWASP: a leading = + - @ TAB or CR is prefixed with a
quote), and the XLSX writes user text as string cells, so no cell is ever evaluated by a spreadsheet.
"""

import csv
import tempfile
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from trials.models import Criterion

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
    "failed_reasons",
    "missing",
    "signed",
    "signed_{period}",
    "signature_meaning",
    "enrollment",
]
FREE_TEXT_COLUMNS = ["enrollment_reason"]  # coordinator text: the limited and identified sets only
IDENTIFIED_COLUMNS = ["initials", "mrn", "birth_date", "screening_date", "signed_at"]
LEGEND_TITLE = "Criteria legend"
LEGEND_COLUMNS = ["criteria_version", "code", "kind", "text", "summary"]
LEGEND_WIDTHS = {"criteria_version": 24, "text": 100, "summary": 60}
SAFE_HARBOR_TOP_AGE = 90  # ages of 90 and over are one group


def columns(data_set):
    period = "year" if data_set == DEIDENTIFIED else "month"
    common = [name.format(period=period) for name in COMMON_COLUMNS]
    free_text = FREE_TEXT_COLUMNS if data_set != DEIDENTIFIED else []
    return common + free_text + (IDENTIFIED_COLUMNS if data_set == IDENTIFIED else [])


def _age(born, on):
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def shown_age(age, data_set):
    return f"{SAFE_HARBOR_TOP_AGE}+" if data_set == DEIDENTIFIED and age >= SAFE_HARBOR_TOP_AGE else age


def _period(day, data_set):
    return day.strftime("%Y" if data_set == DEIDENTIFIED else "%Y-%m")


def _missing(outcomes):
    """The labels of what the unknown outcomes lack, each once, in the criteria's order."""
    labels = (item.get("label") or item.get("field", "") for o in outcomes for item in o.missing)
    return "; ".join(dict.fromkeys(label for label in labels if label))


def export_rows(queryset, *, data_set):
    """One list per screening, in `columns()` order, with what the data set allows. The queryset comes through
    `log.with_rows(..., missing=True)`: failed and unknown outcomes prefetched, a fixed number of queries a chunk."""
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
            "; ".join(f"{o.code}: {o.summary}" for o in screening.failed_outcomes),
            _missing(screening.unknown_outcomes),
            "yes" if signature else "no",
            _period(signature.signed_at, data_set) if signature else "",
            signature.meaning if signature else "",
            screening.get_enrollment_display(),
        ]
        if data_set != DEIDENTIFIED:
            row.append(screening.enrollment_reason)
        if data_set == IDENTIFIED:
            row += [
                candidate.initials,
                candidate.mrn,
                candidate.birth_date,  # dates as dates: a spreadsheet sorts and filters them; CSV writes ISO
                screening.screening_date,
                signature.signed_at.isoformat() if signature else "",
            ]
        yield [neutralised(value) for value in row]


def legend_rows(screenings):
    """The criteria legend: each criterion of the criteria versions the screenings used, version by version, in the
    record's order; one query."""
    criteria = (
        Criterion.objects.filter(version__in=screenings.order_by().values("criteria_version"))
        .order_by("version__created_at", "version_id", "order")
        .values_list("version__label", "code", "kind", "text", "summary")
    )
    for row in criteria.iterator(chunk_size=2000):
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


def xlsx_file(rows, header, title="Screen-fail log", sheets=()):
    """An XLSX workbook written in openpyxl's write-only mode into a temporary file, returned open at its start: the
    rows on the first sheet, then each of `sheets` (title, header, rows, widths by column name) on its own.
    Text goes in as string cells: openpyxl would otherwise make a formula of any text that starts with "="."""
    workbook = Workbook(write_only=True)
    for sheet_title, sheet_header, sheet_rows, widths in ((title, header, rows, {}), *sheets):
        _sheet(workbook, sheet_title, sheet_header, sheet_rows, widths)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response that sends it closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def _sheet(workbook, title, header, rows, widths):
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"  # the header stays in view
    for number, name in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(number)].width = widths.get(name) or max(len(name) + 2, 12)
    sheet.append(header)
    written = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        written += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{written + 1}"  # a filter on every column


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
