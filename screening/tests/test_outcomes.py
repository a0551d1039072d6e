"""How a screening log entry ends, besides the criteria, and where each ending lands in CONSORT 2010's flow."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from screening import services
from screening.models import Screening, Signature

E = Screening.Enrollment


def entry(screening_for, investigator, *, verdict, signed=False, outcome="", day=date(2026, 3, 10)):
    """A screening with the verdict and sign-off set by hand (no engine), so every count below is known."""
    screening = screening_for(screening_date=day)
    screening.status = "evaluated" if verdict else "draft"
    screening.verdict = verdict
    screening.enrollment = outcome
    screening.save()
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


def flow(client, **filters):
    return client.get(reverse("review:log"), filters).context["summary"]["consort"]


BOXES = ("not_meeting_criteria", "declined", "other_reasons", "enrolled", "open")


@pytest.mark.parametrize(
    ("verdict", "signed", "outcome", "box"),
    [
        ("ineligible", True, E.SCREEN_FAILURE, "not_meeting_criteria"),
        ("ineligible", False, "", "not_meeting_criteria"),
        # Not meeting the criteria wins over what happened next: CONSORT counts a person once.
        ("ineligible", False, E.DECLINED, "not_meeting_criteria"),
        ("ineligible", True, E.DIED, "not_meeting_criteria"),
        ("eligible", True, E.DECLINED, "declined"),
        ("", False, E.DECLINED, "declined"),
        ("incomplete", False, E.DECLINED, "declined"),
        ("eligible", True, E.INVESTIGATOR_DECISION, "other_reasons"),
        ("eligible", True, E.OTHER_TRIAL, "other_reasons"),
        ("incomplete", False, E.DIED, "other_reasons"),
        ("", False, E.LOST, "other_reasons"),
        ("eligible", True, E.NOT_ENROLLED, "other_reasons"),
        ("eligible", True, E.ENROLLED, "enrolled"),
        ("eligible", True, "", "open"),
        ("eligible", False, "", "open"),
        ("incomplete", False, "", "open"),
        ("", False, "", "open"),
    ],
)
def test_each_ending_lands_in_one_consort_box(client_for, investigator, screening_for, verdict, signed, outcome, box):
    entry(screening_for, investigator, verdict=verdict, signed=signed, outcome=outcome)
    counts = flow(client_for(investigator))
    assert counts["assessed"] == 1
    assert {name: counts[name] for name in BOXES} == {name: int(name == box) for name in BOXES}
    assert counts["excluded"] == int(box in ("not_meeting_criteria", "declined", "other_reasons"))


def test_other_reasons_are_broken_down_and_the_boxes_add_up(client_for, investigator, screening_for):
    for outcome in (E.DIED, E.DIED, E.LOST, E.OTHER_TRIAL):
        entry(screening_for, investigator, verdict="incomplete", outcome=outcome)
    entry(screening_for, investigator, verdict="eligible", signed=True, outcome=E.ENROLLED)
    entry(screening_for, investigator, verdict="ineligible")
    counts = flow(client_for(investigator))
    assert {item["label"]: item["count"] for item in counts["other"]} == {
        E.DIED.label: 2,
        E.LOST.label: 1,
        E.OTHER_TRIAL.label: 1,
    }
    assert counts["assessed"] == counts["excluded"] + counts["enrolled"] + counts["open"] == 6


@pytest.mark.parametrize(
    ("date_from", "date_to", "counted"),
    [
        ("2026-03-10", "2026-03-10", 1),  # the first and last day are inside the period
        ("2026-03-11", "", 0),  # the day after
        ("", "2026-03-09", 0),  # the day before
    ],
)
def test_the_flow_counts_the_screening_dates_of_the_period(
    client_for, investigator, screening_for, date_from, date_to, counted
):
    entry(screening_for, investigator, verdict="eligible", signed=True, outcome=E.DECLINED, day=date(2026, 3, 10))
    counts = flow(client_for(investigator), date_from=date_from, date_to=date_to)
    assert (counts["assessed"], counts["declined"]) == (counted, counted)


def test_the_log_page_draws_the_flow_boxes(client_for, investigator, screening_for):
    entry(screening_for, investigator, verdict="eligible", signed=True, outcome=E.ENROLLED)
    entry(screening_for, investigator, verdict="", outcome=E.LOST)
    page = client_for(investigator).get(reverse("review:log")).content.decode()
    assert 'id="count-assessed">2<' in page
    assert 'id="count-enrolled">1<' in page
    assert 'id="count-other-reasons">1<' in page
    assert f"{E.LOST.label}: 1" in page
    attrition_other = page[page.index('id="attrition-other"') :]
    assert f'<td>{E.LOST.label}</td><td class="text-end">1</td>' in attrition_other


@pytest.mark.parametrize(
    ("verdict", "signed", "outcome", "refused"),
    [
        ("", False, E.DECLINED, None),
        ("", False, E.DIED, None),
        ("incomplete", False, E.LOST, None),
        ("eligible", False, E.ENROLLED, "after the investigator has signed"),
        ("eligible", False, E.SCREEN_FAILURE, "after the investigator has signed"),
        ("ineligible", True, E.ENROLLED, "Only an eligible candidate"),
        ("eligible", True, E.SCREEN_FAILURE, "signed as not meeting the criteria"),
        ("eligible", True, E.ENROLLED, None),
        ("ineligible", True, E.SCREEN_FAILURE, None),
    ],
)
def test_which_outcome_can_end_a_screening_at_which_stage(
    screening_for, investigator, verdict, signed, outcome, refused
):
    screening = entry(screening_for, investigator, verdict=verdict, signed=signed)
    record = lambda: services.screening_record_enrollment(  # noqa: E731
        screening=screening, outcome=outcome, reason="", user=investigator
    )
    if refused is None:
        assert record().enrollment == outcome
        offered = dict(services.screening_outcome_choices(screening=Screening.objects.get(pk=screening.pk)))
        assert outcome in offered
    else:
        with pytest.raises(ValidationError, match=refused):
            record()
        assert Screening.objects.get(pk=screening.pk).enrollment == ""
        assert outcome not in dict(services.screening_outcome_choices(screening=screening))


@pytest.mark.parametrize("outcome", [E.INVESTIGATOR_DECISION, E.NOT_ENROLLED])
def test_an_investigator_decision_or_another_reason_says_why(screening_for, investigator, outcome):
    screening = entry(screening_for, investigator, verdict="eligible", signed=True)
    with pytest.raises(ValidationError) as raised:
        services.screening_record_enrollment(screening=screening, outcome=outcome, reason="  ", user=investigator)
    assert "reason" in raised.value.error_dict
    recorded = services.screening_record_enrollment(
        screening=screening, outcome=outcome, reason="Uncontrolled diabetes found at visit", user=investigator
    )
    assert recorded.enrollment_reason == "Uncontrolled diabetes found at visit"


def test_a_coordinator_records_that_a_candidate_died_before_the_screening_was_finished(
    client_for, coordinator, screening_for
):
    screening = screening_for()
    client = client_for(coordinator)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert 'id="outcome"' in page
    assert 'value="died"' in page
    assert 'value="enrolled"' not in page  # not offered before sign-off
    client.post(reverse("screening:enrollment", args=[screening.pk]), {"outcome": "died", "reason": ""})
    screening.refresh_from_db()
    assert (screening.enrollment, screening.enrollment_recorded_by) == ("died", coordinator)
