"""Pre-screening: a referral with its source and date becomes a screening, or ends not approached or declined; the
log's CONSORT flow counts them."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients.models import Candidate
from referrals import services
from referrals.models import Referral

IDENTITY = {"initials": "RF", "birth_date": "1966-02-01", "sex": "male", "mrn": "", "confirm_new_person": "on"}


@pytest.fixture
def referral(active_version, coordinator):
    def make(referred_on=date(2026, 3, 10), initials="RF"):
        return services.referral_register(
            trial=active_version.trial,
            user=coordinator,
            initials=initials,
            birth_date=date(1966, 2, 1),
            sex="male",
            mrn="",
            confirm_new_person=True,
            source="physician",
            source_detail="Dr. Okafor, dermatology",
            referred_on=referred_on,
        )

    return make


def test_a_coordinator_records_a_referral_and_starts_its_screening(client_for, coordinator, active_version):
    client = client_for(coordinator)
    response = client.post(
        reverse("referrals:new"),
        IDENTITY | {"source": "tumor_board", "source_detail": "Thursday board", "referred_on": "2026-03-02"},
    )
    referral = Referral.objects.get()
    assert response.url == reverse("referrals:detail", args=[referral.pk])
    assert (referral.source, referral.referred_on, referral.status) == ("tumor_board", date(2026, 3, 2), "open")
    assert referral.candidate.screening_number.startswith("SCR-")
    response = client.post(
        reverse("referrals:detail", args=[referral.pk]),
        {"action": "screen", "cohort": "phase2", "screening_date": "2026-03-09"},
    )
    referral.refresh_from_db()
    assert referral.status == "screened"
    assert response.url == reverse("screening:edit", args=[referral.screening.pk])
    assert (referral.screening.cohort, referral.screening.candidate) == ("phase2", referral.candidate)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": ""}, "source"),
        ({"referred_on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "referred_on"),
        ({"referred_on": "1960-01-01"}, "referred_on"),  # before the date of birth
        ({"referred_on": "not a date"}, "referred_on"),
        ({"initials": "R1"}, "initials"),
    ],
)
def test_a_bad_referral_gets_a_field_error_and_nothing_is_saved(client_for, coordinator, active_version, data, field):
    payload = IDENTITY | {"source": "clinic", "source_detail": "", "referred_on": "2026-03-02"} | data
    response = client_for(coordinator).post(reverse("referrals:new"), payload)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Referral.objects.exists()
    assert not Candidate.objects.exists()


def test_not_approached_says_why_and_closes_once(referral, coordinator):
    open_referral = referral()
    with pytest.raises(ValidationError, match="why"):
        services.referral_close(referral=open_referral, user=coordinator, status="not_approached")
    with pytest.raises(ValidationError, match="other reason"):
        services.referral_close(
            referral=open_referral, user=coordinator, status="not_approached", not_approached_reason="other"
        )
    closed = services.referral_close(
        referral=open_referral, user=coordinator, status="not_approached", not_approached_reason="too_ill"
    )
    assert (closed.status, closed.closed_by) == ("not_approached", coordinator)
    with pytest.raises(ValidationError, match="already closed"):
        services.referral_close(referral=open_referral, user=coordinator, status="declined")
    with pytest.raises(ValidationError, match="already closed"):
        services.referral_start_screening(
            referral=open_referral, user=coordinator, cohort="phase1", screening_date=date(2026, 3, 11)
        )


def test_a_screening_or_closing_date_before_the_referral_is_refused(referral, coordinator):
    open_referral = referral(referred_on=date(2026, 3, 10))
    with pytest.raises(ValidationError) as raised:
        services.referral_start_screening(
            referral=open_referral, user=coordinator, cohort="phase1", screening_date=date(2026, 3, 9)
        )
    assert "screening_date" in raised.value.error_dict
    with pytest.raises(ValidationError) as raised:
        services.referral_close(referral=open_referral, user=coordinator, status="declined", closed_on=date(2026, 3, 9))
    assert "closed_on" in raised.value.error_dict
    screening = services.referral_start_screening(
        referral=open_referral, user=coordinator, cohort="phase1", screening_date=date(2026, 3, 10)
    )
    assert screening.referral == Referral.objects.get(pk=open_referral.pk)


def test_investigators_read_referrals_but_do_not_close_them(client_for, investigator, referral):
    open_referral = referral()
    client = client_for(investigator)
    assert client.get(reverse("referrals:detail", args=[open_referral.pk])).status_code == 200
    response = client.post(
        reverse("referrals:detail", args=[open_referral.pk]),
        {"action": "close", "status": "declined", "closed_on": "2026-03-11"},
    )
    assert response.status_code == 403
    assert Referral.objects.get(pk=open_referral.pk).status == "open"


def test_the_log_flow_counts_referrals_of_the_period_with_each_reason(client_for, investigator, coordinator, referral):
    for day, reason in [(date(2026, 3, 1), "too_ill"), (date(2026, 3, 31), "too_ill"), (date(2026, 4, 1), "no_slot")]:
        services.referral_close(
            referral=referral(referred_on=day),
            user=coordinator,
            status="not_approached",
            not_approached_reason=reason,
            closed_on=day,
        )
    services.referral_close(referral=referral(referred_on=date(2026, 3, 15)), user=coordinator, status="declined")
    services.referral_start_screening(
        referral=referral(referred_on=date(2026, 3, 16)),
        user=coordinator,
        cohort="phase1",
        screening_date=date(2026, 3, 20),
    )
    referral(referred_on=date(2026, 2, 28))  # the day before the period: not counted
    response = client_for(investigator).get(reverse("review:log"), {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    counts = response.context["summary"]["referrals"]
    assert (counts["referred"], counts["screened"], counts["not_approached"], counts["declined"], counts["open"]) == (
        4,
        1,
        2,
        1,
        0,
    )
    assert counts["reasons"] == [{"reason": "Too unwell to approach", "count": 2}]
    assert 'id="count-referred">4<' in response.content.decode()
