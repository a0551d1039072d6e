"""The screen-fail log: filters, CONSORT counts and attrition on hand-built screenings with known answers; exports."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from screening.models import CriterionOutcome, DataExport, Screening, Signature

CODES = ["IN16", "EX11", "IN14", "EX03"]


@pytest.fixture
def hand_built(screening_for, investigator, coordinator):
    """Six screenings, outcomes written by hand (no engine), so every count below is known in advance."""

    def make(verdict, failed=(), *, day=date(2026, 3, 10), cohort="phase1", signed=False, enrollment=""):
        screening = screening_for(cohort=cohort, screening_date=day, initials="ZZ", birth_date=date(1960, 6, 1))
        screening.status = "evaluated" if verdict else "draft"
        screening.verdict = verdict
        screening.enrollment = enrollment
        screening.save()
        for order, code in enumerate(CODES):
            status = (
                "not_met" if code in failed else ("unknown" if verdict == "incomplete" and code == "IN14" else "met")
            )
            CriterionOutcome.objects.create(
                screening=screening,
                order=order,
                code=code,
                kind="inclusion",
                text=code,
                summary=f"summary {code}",
                status=status,
                reason="hand-built",
            )
        if signed:
            Signature.objects.create(
                screening=screening,
                signer=investigator,
                signer_name="Kevin Investigator",
                meaning="confirm_eligible" if verdict == "eligible" else "confirm_not_eligible",
                signed_at=timezone.now(),
                content_hash="0" * 64,
            )
        return screening

    return {
        "eligible_enrolled": make("eligible", signed=True, enrollment="enrolled"),
        "eligible_declined": make("eligible", signed=True, enrollment="declined", day=date(2026, 4, 2)),
        "anc_only": make("ineligible", ["IN16"], day=date(2026, 4, 20), cohort="phase2"),
        "anc_and_dilantin": make("ineligible", ["IN16", "EX11"], signed=True, day=date(2026, 4, 21)),
        "dilantin_only": make("ineligible", ["EX11"], day=date(2026, 5, 5)),
        "incomplete": make("incomplete", day=date(2026, 5, 6)),
    }


@pytest.fixture
def investigator_client(client_for, investigator):
    return client_for(investigator)


def summary(client, **filters):
    return client.get(reverse("review:log"), filters).context["summary"]


def test_consort_counts(investigator_client, hand_built):
    counts = summary(investigator_client)
    assert counts["assessed"] == 6
    assert counts["excluded"] == 3
    assert counts["eligible"] == 2
    assert counts["incomplete"] == 1
    assert counts["signed"] == 3
    assert (counts["enrolled"], counts["declined"], counts["not_enrolled"]) == (1, 1, 0)


def test_attrition_counts_each_reason_and_failures_on_one_criterion_alone(investigator_client, hand_built):
    rows = {row["code"]: (row["failed"], row["alone"]) for row in summary(investigator_client)["attrition"]}
    assert rows == {"IN16": (2, 1), "EX11": (2, 1)}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"failed": "EX11"}, {"anc_and_dilantin", "dilantin_only"}),
        ({"verdict": "eligible"}, {"eligible_enrolled", "eligible_declined"}),
        ({"cohort": "phase2"}, {"anc_only"}),
        ({"outcome": "declined"}, {"eligible_declined"}),
        ({"outcome": "none"}, {"anc_only", "anc_and_dilantin", "dilantin_only", "incomplete"}),
        ({"signed": "yes"}, {"eligible_enrolled", "eligible_declined", "anc_and_dilantin"}),
        ({"signed": "no", "verdict": "ineligible"}, {"anc_only", "dilantin_only"}),
        ({"date_from": "2026-04-01", "date_to": "2026-04-30"}, {"eligible_declined", "anc_only", "anc_and_dilantin"}),
    ],
)
def test_filters(investigator_client, hand_built, filters, expected):
    page = investigator_client.get(reverse("review:log"), filters).context["page"]
    shown = {pk for pk in (s.pk for s in page)}
    assert shown == {hand_built[name].pk for name in expected}


def test_counts_follow_the_filters(investigator_client, hand_built):
    counts = summary(investigator_client, failed="IN16")
    assert (counts["assessed"], counts["excluded"]) == (2, 2)
    assert {row["code"]: row["failed"] for row in counts["attrition"]} == {"IN16": 2, "EX11": 1}


def test_search_by_screening_number_and_sort(investigator_client, hand_built):
    number = hand_built["dilantin_only"].candidate.screening_number
    page = investigator_client.get(reverse("review:log"), {"q": number}).context["page"]
    assert [s.pk for s in page] == [hand_built["dilantin_only"].pk]
    oldest = investigator_client.get(reverse("review:log"), {"sort": "date"}).context["page"][0]
    assert oldest.screening_date == date(2026, 3, 10)


def test_chart_counts_per_month(investigator_client, hand_built):
    bars = investigator_client.get(reverse("review:log")).context["chart"]["bars"]
    assert [(b["label"][:7], b["screened"], b["failed"]) for b in bars] == [
        ("2026-03", 1, 0),
        ("2026-04", 3, 2),
        ("2026-05", 2, 1),
    ]


def test_the_log_page_shows_rows_and_failed_codes(investigator_client, hand_built):
    page = investigator_client.get(reverse("review:log"), {"failed": "EX11"}).content.decode()
    assert hand_built["dilantin_only"].candidate.screening_number in page
    assert "summary EX11" in page
    assert "<svg" in page


def test_log_queries_do_not_grow_with_rows(
    investigator_client, hand_built, screening_for, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as before:
        investigator_client.get(reverse("review:log"))
    for _ in range(10):
        screening_for()
    with django_assert_max_num_queries(len(before.captured_queries)):
        investigator_client.get(reverse("review:log"))


IDENTIFIERS = ("ZZ", "1960-06-01", "2026-03-10", "2026-03", "MRN")  # Safe Harbor: no date element finer than a year


def test_csv_export_is_deidentified(investigator_client, hand_built):
    response = investigator_client.get(reverse("review:log_export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6
    assert "initials" not in rows[0]
    assert "mrn" not in rows[0]
    assert {row["screening_year"] for row in rows} == {"2026"}
    assert {row["signed_year"] for row in rows} == {str(timezone.now().year), ""}
    assert {row["age_years"] for row in rows} == {"65"}
    for identifier in IDENTIFIERS:
        assert identifier not in text
    both = next(row for row in rows if row["screening_number"] == hand_built["anc_and_dilantin"].number)
    assert both["candidate_number"] == hand_built["anc_and_dilantin"].candidate.screening_number
    assert both["failed_criteria"] == "IN16 EX11"


def test_xlsx_export_is_deidentified(investigator_client, hand_built):
    response = investigator_client.get(reverse("review:log_export_xlsx"), {"verdict": "ineligible"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("screening_number", "candidate_number", "screening_year", "age_years")
    assert len(rows) == 4
    flat = " ".join(str(value) for row in rows for value in row)
    for identifier in IDENTIFIERS:
        assert identifier not in flat


def test_only_administrators_export_identified_data_and_it_is_recorded(
    client_for, investigator, administrator, hand_built
):
    assert client_for(investigator).get(reverse("review:log_export_csv"), {"identified": "1"}).status_code == 403
    assert not DataExport.objects.exists()
    response = client_for(administrator).get(
        reverse("review:log_export_csv"), {"identified": "1", "verdict": "eligible"}
    )
    text = b"".join(response.streaming_content).decode()
    assert "ZZ" in text
    assert "1960-06-01" in text
    export = DataExport.objects.get()
    assert export.exported_by == administrator
    assert export.filters["verdict"] == "eligible"
    assert export.history.first().history_type == "+"


@pytest.mark.parametrize("persona", ["coordinator", "outsider"])
def test_the_log_is_for_investigators_and_administrators(request, client_for, persona, hand_built):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("review:log")).status_code == 403
    assert client.get(reverse("review:log_export_csv")).status_code == 403


def test_screenings_are_counted_once_even_with_many_failures(investigator_client, hand_built):
    assert Screening.objects.filter(verdict="ineligible").count() == summary(investigator_client)["excluded"]
