"""What the PDF eligibility report says to the person who reads it, and which reports the result page marks as
superseded. Rendered in-process: no worker."""

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from screening import reports
from screening.models import Report
from screening.pdf import render_report
from screening.selectors import screening_with_outcomes
from screening.services import screening_start_correction
from screening.tests.forms_data import blank_payload, eligible_payload, set_rows, sign_as

CRITERIA_TABLE = "Every criterion, in record order"


@pytest.fixture(autouse=True)
def files_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf_text(data):
    """The PDF's text with line breaks (from wrapping in table cells) as plain spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def flat(text):
    return " ".join(text.split())


def evaluated(client_for, coordinator, screening, payload):
    response = client_for(coordinator).post(
        reverse("screening:edit", args=[screening.pk]), payload | {"action": "evaluate"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return screening_with_outcomes(pk=screening.pk)


def report_text(screening, user, generated_at=None):
    return pdf_text(render_report(screening, generated_by=user, generated_at=generated_at or timezone.now())[2])


def text_after(text, heading):
    return text[text.index(heading) :]


def verdict_box(text):
    """The part of the report between the verdict and the per-criterion table."""
    start = text.index("Verdict:")
    return text[start : text.index(CRITERIA_TABLE, start)]


@pytest.fixture
def full(client_for, coordinator, screening_for):
    """Ineligible on ANC (1,200/mm3), with a prior regimen, a dated major surgery, blood pressures and a lesion."""
    screening = screening_for()
    today = timezone.localdate()
    payload = eligible_payload(screening, labs={"anc": ("1.2", "10^3/uL", "")})
    payload |= {
        "prior_therapy": "yes",
        "major_surgery": "yes",
        "major_surgery_date": today - timedelta(days=60),
    }
    set_rows(
        payload,
        "therapy",
        [
            {
                "modality": "immunotherapy",
                "setting": "metastatic",
                "agents": "ipilimumab",
                "started_on": today - timedelta(days=200),
                "ended_on": today - timedelta(days=120),
            }
        ],
    )
    set_rows(payload, "lesion", [{"site": "liver", "size_mm": "24", "method": "conventional"}])
    return evaluated(client_for, coordinator, screening, payload)


def test_the_verdict_box_names_each_failing_criterion_with_its_reason(full, coordinator):
    text = report_text(full, coordinator)
    box = verdict_box(text)
    failed = [o for o in full.outcomes.all() if o.status == "not_met"]
    assert full.verdict == "ineligible"
    assert failed
    for outcome in failed:
        assert outcome.code in box
        assert flat(outcome.summary) in box
        assert flat(outcome.reason) in box
    assert "is below the minimum of 1,500/mm3" in box
    met = next(o for o in full.outcomes.all() if o.status == "met")
    assert flat(met.reason) not in box  # only what failed is named there


def test_the_verdict_box_of_an_incomplete_screening_names_what_is_undecided_and_missing(
    client_for, coordinator, screening_for
):
    screening = screening_for()
    payload = eligible_payload(screening) | {"answer-grapefruit": "", "weight_kg": ""}
    incomplete = evaluated(client_for, coordinator, screening, payload)
    assert incomplete.verdict == "incomplete"
    text = report_text(incomplete, coordinator)
    box = verdict_box(text)
    unknown = [o for o in incomplete.outcomes.all() if o.status == "unknown"]
    assert unknown
    for outcome in unknown:
        assert outcome.code in box
        assert flat(outcome.reason) in box
        for item in outcome.missing:
            assert flat(item["label"]) in box
    assert "Cannot be decided yet" in box
    answers = text_after(text, "Recorded answers and attestations")
    assert "Does the candidate consume grapefruit or grapefruit juice? Not answered" in answers


def test_the_verdict_box_of_an_eligible_screening_says_all_criteria_are_met(client_for, coordinator, screening_for):
    screening = screening_for()
    eligible = evaluated(client_for, coordinator, screening, eligible_payload(screening))
    assert eligible.verdict == "eligible"
    assert "All criteria are met or not applicable" in verdict_box(report_text(eligible, coordinator))


def test_the_facts_used_hold_blood_pressure_prior_therapy_lesions_history_and_answers(full, coordinator):
    facts = text_after(report_text(full, coordinator), "Facts used")
    for reading in full.blood_pressures.all():
        assert f"{reading.taken_on:%Y-%m-%d} {reading.systolic} {reading.diastolic}" in facts
    therapy = full.therapies.get()
    assert (
        f"Biologic or immunotherapy Metastatic or unresectable melanoma ipilimumab "
        f"{therapy.started_on:%Y-%m-%d} {therapy.ended_on:%Y-%m-%d}"
    ) in facts
    assert "liver 24 Conventional technique" in facts
    assert f"Major surgery Yes, most recent {full.major_surgery_date:%Y-%m-%d}" in facts
    assert "Radiotherapy None" in facts
    assert "Brain imaging showing the metastases stable Not answered" in facts
    assert "68 kg" in facts
    # An attestation, by the question the ruleset asks, and recorded facts, by their labels.
    assert "Does the candidate consume grapefruit or grapefruit juice? No" in facts
    assert "Melanoma confirmed histologically or cytologically Yes" in facts
    assert "Melanoma stage Stage IV" in facts


def test_a_confirmed_unusual_lab_is_listed_with_the_confirmations(full, coordinator):
    lab = full.labs.first()
    type(lab).objects.filter(pk=lab.pk).update(confirmed=True)
    text = report_text(screening_with_outcomes(pk=full.pk), coordinator)
    confirmations = text_after(text, "Confirmations and entries to double-check")
    assert f"{lab.analyte.name} {lab.value.normalize()} {lab.unit}" in confirmations
    assert "value and unit confirmed by the coordinator" in confirmations


def test_times_are_in_the_site_time_zone_with_utc_beside_them(full, coordinator, investigator, settings):
    settings.TIME_ZONE = "America/Chicago"
    with timezone.override("America/Chicago"):
        sign_as(investigator, full)
        signed = screening_with_outcomes(pk=full.pk)
        text = report_text(signed, coordinator, generated_at=datetime(2026, 1, 14, 15, 15, tzinfo=UTC))
    assert "Generated 2026-01-14 09:15 CST (15:15 UTC)" in text
    signed_at = signed.signature.signed_at
    chicago, utc = signed_at.astimezone(ZoneInfo("America/Chicago")), signed_at.astimezone(UTC)
    utc_shown = f"{utc:%H:%M}" if utc.date() == chicago.date() else f"{utc:%Y-%m-%d %H:%M}"
    assert f"Date and time {chicago:%Y-%m-%d %H:%M} {chicago.tzname()} ({utc_shown} UTC)" in text
    evaluated_at = signed.evaluated_at.astimezone(ZoneInfo("America/Chicago"))
    assert f"Evaluated {evaluated_at:%Y-%m-%d %H:%M} {evaluated_at.tzname()} (" in text


def test_a_time_on_another_day_in_utc_shows_the_utc_date():
    from screening.templatetags.screening_tags import site_and_utc

    with timezone.override("America/Chicago"):
        assert site_and_utc(datetime(2026, 7, 4, 2, 30, tzinfo=UTC)) == "2026-07-03 21:30 CDT (2026-07-04 02:30 UTC)"


def row_of(client, screening, report):
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    found = re.search(rf'<li class="report-row" id="report-{report.pk}".*?</li>', page, re.S)
    assert found, page
    return found.group(0)


def generated(screening, user):
    return reports.report_generate(report_id=Report.objects.create(screening=screening, requested_by=user).pk)


def test_a_report_made_before_the_sign_off_is_superseded_once_signed_and_one_made_after_is_not(
    full, coordinator, investigator, client_for
):
    before = generated(full, coordinator)
    client = client_for(coordinator)
    assert "Superseded" not in row_of(client, full, before)
    sign_as(investigator, full)
    signed = screening_with_outcomes(pk=full.pk)
    after = generated(signed, coordinator)
    assert after.file.name != before.file.name

    row = row_of(client, full, before)
    assert "Superseded: generated before the sign-off on " in row
    assert "Download PDF" in row  # still downloadable, as stored
    assert "Superseded" not in row_of(client, full, after)

    fragment = client.get(reverse("screening:report_status", args=[before.pk])).content.decode()
    assert "Superseded: generated before the sign-off" in fragment
    fragment = client.get(reverse("screening:report_status", args=[after.pk])).content.decode()
    assert "Superseded" not in fragment

    download = client.get(reverse("screening:report_download", args=[before.pk]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == before.sha256


def test_a_report_made_before_a_change_is_superseded(full, coordinator, client_for):
    report = generated(full, coordinator)
    client = client_for(coordinator)
    evaluated(client_for, coordinator, full, blank_payload(full) | {"lab-anc-value": "1.3"})
    assert "Superseded: generated before a later change" in row_of(client, full, report)


def test_a_report_on_a_corrected_screening_is_superseded_by_the_correction(full, coordinator, investigator, client_for):
    sign_as(investigator, full)
    signed = screening_with_outcomes(pk=full.pk)
    report = generated(signed, coordinator)
    client = client_for(coordinator)
    assert "Superseded" not in row_of(client, signed, report)
    correction = screening_start_correction(screening=signed, coordinator=coordinator)
    row = row_of(client, signed, report)
    assert f"Superseded: generated before the correction {correction.number}" in row
