"""Every create, change and delete of candidates, screenings, their entries, signatures and criteria is recorded:
who, when (UTC), old and new values; investigators and administrators read it; nobody edits it in the app."""

from datetime import UTC

import pytest
from django.urls import reverse

from conftest import PASSWORD
from patients.models import Candidate
from screening import services
from screening.models import BloodPressureReading, LabValue, Lesion, Medication, PriorTherapy, Screening, Signature
from screening.tests.forms_data import eligible_payload, reviewed_on_sign_page, set_rows


@pytest.fixture
def history(client_for, coordinator, investigator, screening_for):
    """A screening entered, changed, evaluated and signed through the app, as real users."""
    screening = screening_for()
    client = client_for(coordinator)
    url = reverse("screening:edit", args=[screening.pk])
    client.post(url, eligible_payload(screening) | {"action": "save"})
    client.post(
        url,
        eligible_payload(screening, labs={"anc": ("2.4", "10^3/uL", "")}) | {"weight_kg": "70", "action": "evaluate"},
    )
    reviewer = client_for(investigator)
    reviewer.post(
        reverse("screening:sign", args=[screening.pk]),
        {
            "meaning": "confirm_eligible",
            "password": PASSWORD,
            "comment": "",
            "reviewed": reviewed_on_sign_page(reviewer, screening),
        },
    )
    return screening


def test_each_kind_of_change_is_recorded_with_who_and_old_and_new_values(history, coordinator, investigator):
    assert Candidate.history.filter(id=history.candidate_id, history_type="+").exists()
    weight = [h for h in Screening.history.filter(id=history.pk).order_by("history_date") if h.weight_kg]
    assert [str(h.weight_kg) for h in weight][:2] == ["68.0", "70.0"]
    assert weight[1].history_user == coordinator
    labs = LabValue.history.filter(screening_id=history.pk)
    assert labs.filter(history_type="+").exists()
    assert labs.filter(history_type="-").exists()
    assert Medication.history.filter(screening_id=history.pk, history_type="+", history_user=coordinator).exists()
    signature = Signature.history.get(screening_id=history.pk)
    assert signature.history_user == investigator
    assert signature.history_date.tzinfo is not None


def test_criteria_changes_are_recorded(administrator, active_version):
    from trials import services as trial_services

    draft = trial_services.criteria_version_create_amendment(source=active_version)
    criterion = draft.criteria.get(code="IN16")
    criterion.rule = {**criterion.rule, "value": 1000}
    criterion.save()
    changed = criterion.history.first()
    previous = changed.prev_record
    assert [c.field for c in changed.diff_against(previous).changes] == ["rule"]


def test_investigators_read_the_trail_of_a_screening(client_for, investigator, history):
    page = client_for(investigator).get(reverse("screening:audit", args=[history.pk])).content.decode()
    assert "Screening changed" in page
    assert "Signature created" in page
    assert "Coordinator Tester" in page
    assert "<del>68</del> → 70" in page
    assert "UTC" in page


def test_the_trail_cannot_be_changed_through_the_app(client_for, administrator, history):
    client = client_for(administrator)
    assert client.post(reverse("screening:audit", args=[history.pk])).status_code in (403, 405)
    from django.contrib import admin

    registered = {model._meta.label for model in admin.site._registry}
    assert not any(label.split(".")[1].startswith("Historical") for label in registered)


def test_a_screening_deleted_outside_the_app_still_leaves_its_trail(screening_for):
    screening = screening_for()
    services.screening_evaluate(screening=screening)
    pk = screening.pk
    screening.outcomes.all().delete()
    Screening.objects.filter(pk=pk).get().delete()
    assert Screening.history.filter(id=pk, history_type="-").exists()


ROW_MODELS = (LabValue, BloodPressureReading, PriorTherapy, Medication, Lesion)


def test_saving_again_without_changes_adds_nothing_to_the_trail(client_for, coordinator, screening_for):
    screening = screening_for()
    client = client_for(coordinator)
    url = reverse("screening:edit", args=[screening.pk])
    therapy = {"modality": "immunotherapy", "setting": "metastatic", "agents": "nivolumab, ipilimumab"}
    payload = eligible_payload(screening) | {"prior_therapy": "yes", "action": "save"}
    set_rows(payload, "therapy", [therapy | {"started_on": "2026-01-01", "ended_on": "2026-03-01"}])
    client.post(url, payload)
    before = [model.history.count() for model in ROW_MODELS]
    assert all(before)
    payload["revision"] = Screening.objects.get(pk=screening.pk).revision  # the form as reopened after the save
    assert client.post(url, payload).status_code == 302
    assert [model.history.count() for model in ROW_MODELS] == before
    client.post(
        url, eligible_payload(screening, medications=[{"name": "Dilantin", "active": True}]) | {"action": "save"}
    )
    assert Medication.history.filter(screening_id=screening.pk, history_type="-").count() == 1
    assert screening.medications.get().name == "Dilantin"


# The trail as a monitor reads it


def entries_of(screening, user):
    from screening.audit import audit_entries

    return audit_entries(screening, user=user)


def lines(entries, kind):
    return [(label, old, new) for entry in entries if entry["kind"] == kind for label, old, new in entry["changes"]]


def test_each_change_reads_as_the_form_shows_it(history, investigator, coordinator):
    entries = entries_of(history, investigator)
    changed = [e for e in entries if e["kind"] == "Screening" and e["action"] == "changed"]
    assert ("Weight (kg)", "68", "70") in [c for e in changed for c in e["changes"]]
    assert any(e["who"] == "Coordinator Tester" and e["role"] == "Research coordinator" for e in changed)
    created = next(e for e in entries if e["kind"] == "Screening" and e["action"] == "created")
    assert ("Cohort", "", "Phase I") in created["changes"]  # a choice by its label
    assert ("Coordinator", "", "Coordinator Tester") in created["changes"]  # a person by name, never an id
    assert ("Melanoma stage", "", "Stage IV") in lines(entries, "Screening")  # an answer by its question
    labs = [e for e in entries if e["kind"] == "Lab"]
    assert {e["object"] for e in labs} >= {"Absolute neutrophil count"}
    assert ("Value", "3.1", "") in lines(entries, "Lab")  # the row saved first, replaced by the next save
    assert ("Value", "", "2.4") in lines(entries, "Lab")
    signed = next(e for e in entries if e["kind"] == "Signature")
    assert ("Meaning", "", "I confirm the candidate is eligible") in signed["changes"]
    text = " ".join(f"{label} {old} {new}" for e in entries for label, old, new in e["changes"])
    for bookkeeping in ("_id", "pending-", "Revision", "content_hash", "HMAC", "0.8000", "{'"):
        assert bookkeeping not in text


def test_nothing_that_did_not_change_is_listed(client_for, coordinator, investigator, history):
    entries = entries_of(history, investigator)
    for entry in entries:
        assert entry["action"] != "changed" or entry["changes"], entry
        for label, old, new in entry["changes"]:
            assert old != new, (entry["kind"], label)


def test_the_record_number_is_in_no_history_for_a_role_that_may_not_see_it(
    client_for, coordinator, investigator, screening_for
):
    screening = screening_for(mrn="MRN-AUDIT-77")
    assert "MRN-AUDIT-77" in str(entries_of(screening, coordinator))  # coordinators see it on the candidate page
    assert "MRN-AUDIT-77" not in str(entries_of(screening, investigator))
    for name in ("screening:audit", "screening:audit_csv", "screening:audit_pdf"):
        response = client_for(investigator).get(reverse(name, args=[screening.pk]))
        assert response.status_code == 200
        assert b"MRN-AUDIT-77" not in response.content


def test_reasons_are_kept_for_corrections_enrollment_changes_and_re_evaluations(
    client_for, coordinator, investigator, history
):
    services.screening_record_enrollment(screening=history, outcome="enrolled", reason="", user=investigator)
    services.screening_record_enrollment(
        screening=history, outcome="declined", reason="", user=investigator, change_reason="Changed her mind"
    )
    correction = services.screening_start_correction(screening=history, coordinator=coordinator)
    services.screening_evaluate(screening=correction)
    reasons = {e["why"] for e in entries_of(history, investigator)} | {
        e["why"] for e in entries_of(correction, investigator)
    }
    assert "Enrollment outcome changed: Changed her mind" in reasons
    assert f"Correction of the signed screening {history.number}" in reasons
    assert "Evaluated again against its criteria version" in reasons


def test_the_trail_exports_as_csv_and_pdf(client_for, investigator, history):
    import csv
    import io

    from screening.tests.test_reports import pdf_text

    client = client_for(investigator)
    csv_response = client.get(reverse("screening:audit_csv", args=[history.pk]))
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    assert rows[0].keys() >= {"when_utc", "when_site_time", "who", "role", "field", "old", "new", "why"}
    assert any(row["field"] == "Weight (kg)" and row["old"] == "68" and row["new"] == "70" for row in rows)
    pdf = client.get(reverse("screening:audit_pdf", args=[history.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert f"Audit trail · {history.number}" in text
    assert "Weight (kg): 68 → 70" in text


def test_each_line_says_when_in_site_time_and_in_utc(client_for, investigator, history, settings):
    from zoneinfo import ZoneInfo

    page = client_for(investigator).get(reverse("screening:audit", args=[history.pk])).content.decode()
    signed_at = history.signature.signed_at
    site = signed_at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M")
    utc = signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    assert site != utc  # the site is not on UTC, so both must be there
    assert f"{site}" in page
    assert "site time" in page
    assert f"{utc}" in page
    assert " UTC" in page


def test_rows_removed_and_the_candidate_read_in_words(client_for, coordinator, investigator, history):
    # The lab row of the first save was replaced: the trail says it went, by the analyte's name.
    deleted = [e for e in entries_of(history, investigator) if e["action"] == "deleted"]
    assert any(e["kind"] == "Lab" and e["object"] == "Absolute neutrophil count" for e in deleted)
    candidate = next(e for e in entries_of(history, investigator) if e["kind"] == "Candidate")
    assert candidate["action"] == "created"
    assert ("Sex", "", "Female") in candidate["changes"]
    assert ("Date of birth", "", "1971-03-15") in candidate["changes"]
    assert ("Created by", "", "Coordinator Tester") in candidate["changes"]
    signature = next(e for e in entries_of(history, investigator) if e["kind"] == "Signature")
    assert signature["who"] == "Investigator Tester"
    assert signature["role"] == "Principal investigator"
