"""A signed record cannot change, and any change made behind the app's back shows: on the page, in the PDF and in the
audit trail. The signature is keyed with a secret outside the database, so it cannot be recomputed to fit."""

import hashlib

import pgtrigger
import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from screening.models import CriterionOutcome, LabValue, Medication, Screening, Signature
from screening.pdf import render_report
from screening.selectors import screening_with_outcomes
from screening.signing import canonical, screening_record, verify
from screening.tests.forms_data import eligible_payload, set_rows, sign_as
from screening.tests.test_reports import pdf_text

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="the database's own locks are PostgreSQL triggers (make test)"
)

INVALID = "The record does NOT match its signature"


@pytest.fixture
def signed(client_for, coordinator, investigator, screening_for):
    """An eligible screening with a lab, a medication, a prior regimen and a lesion, signed by the investigator."""
    screening = screening_for()
    data = eligible_payload(screening) | {"prior_therapy": "yes", "action": "evaluate"}
    set_rows(
        data,
        "therapy",
        [
            {
                "modality": "immunotherapy",
                "setting": "metastatic",
                "agents": "nivolumab",
                "started_on": "2026-01-01",
                "ended_on": "2026-03-01",
            }
        ],
    )
    client_for(coordinator).post(reverse("screening:edit", args=[screening.pk]), data)
    sign_as(investigator, screening, comment="Checked against the chart.")
    return screening_with_outcomes(pk=screening.pk)


def tamper(sql, *params):
    """Change the database as someone who can write it would, past the app and its triggers."""
    with pgtrigger.ignore(), connection.cursor() as cursor:
        cursor.execute(sql, params)


# Every field a signature attests, changed by direct SQL: (table, column, new value, which rows)
SIGNED_FIELDS = [
    ("patients_candidate", "initials", "'ZZ'", "id = (SELECT candidate_id FROM screening_screening WHERE id = %s)"),
    (
        "patients_candidate",
        "birth_date",
        "'1950-01-01'",
        "id = (SELECT candidate_id FROM screening_screening WHERE id = %s)",
    ),
    ("patients_candidate", "sex", "'male'", "id = (SELECT candidate_id FROM screening_screening WHERE id = %s)"),
    (
        "patients_candidate",
        "screening_number",
        "'SCR-9999'",
        "id = (SELECT candidate_id FROM screening_screening WHERE id = %s)",
    ),
    ("screening_screening", "number", "'SCR-9999-1'", "id = %s"),
    ("screening_screening", "weight_kg", "99", "id = %s"),
    ("screening_screening", "ecog", "0", "id = %s"),
    ("screening_screening", "cohort", "'phase2'", "id = %s"),
    ("screening_screening", "screening_date", "screening_date - 1", "id = %s"),
    ("screening_screening", "answers", "answers || '{\"bleeding_diathesis\": true}'::jsonb", "id = %s"),
    ("screening_screening", "warnings", "'[\"edited\"]'::jsonb", "id = %s"),
    ("screening_screening", "status", "'draft'", "id = %s"),
    ("screening_screening", "verdict", "'ineligible'", "id = %s"),
    ("screening_criterionoutcome", "reason", "'Looks fine'", "screening_id = %s AND code = 'IN16'"),
    ("screening_criterionoutcome", "evidence", "'[\"ANC 9.9\"]'::jsonb", "screening_id = %s AND code = 'IN16'"),
    ("screening_criterionoutcome", "status", "'not_met'", "screening_id = %s AND code = 'IN16'"),
    ("screening_labvalue", "value", "value * 10", "screening_id = %s"),
    ("screening_medication", "name", "'Dilantin'", "screening_id = %s"),
    ("screening_priortherapy", "agents", "'dacarbazine'", "screening_id = %s"),
    ("screening_lesion", "size_mm", "5", "screening_id = %s"),
    ("screening_signature", "meaning", "'confirm_not_eligible'", "screening_id = %s"),
    ("screening_signature", "signer_name", "'Someone Else'", "screening_id = %s"),
    ("screening_signature", "signed_at", "signed_at - interval '1 day'", "screening_id = %s"),
    ("screening_signature", "comment", "'Not checked'", "screening_id = %s"),
    (
        "trials_criterion",
        "rule",
        '\'{"type": "age", "minimum_years": 99}\'::jsonb',
        "code = 'IN00' AND version_id = (SELECT criteria_version_id FROM screening_screening WHERE id = %s)",
    ),
    (
        "trials_criterion",
        "text",
        "'Anyone'",
        "code = 'IN00' AND version_id = (SELECT criteria_version_id FROM screening_screening WHERE id = %s)",
    ),
    (
        "trials_criteriaversion",
        "content_hash",
        "md5(content_hash) || md5(content_hash)",
        "id = (SELECT criteria_version_id FROM screening_screening WHERE id = %s)",
    ),
    (  # a unit factor of the pinned vocabulary
        "trials_vocabularysnapshot",
        "data",
        'replace(data::text, \'"factor": "1000"\', \'"factor": "100"\')::jsonb',
        "id = (SELECT v.vocabulary_id FROM trials_criteriaversion v JOIN screening_screening s "
        "ON s.criteria_version_id = v.id WHERE s.id = %s)",
    ),
]


@pytest.mark.parametrize(
    ("table", "column", "value", "rows"), SIGNED_FIELDS, ids=[f"{t}.{c}" for t, c, *_ in SIGNED_FIELDS]
)
def test_every_signed_field_changed_by_sql_is_detected_on_the_page_and_in_the_pdf(
    client_for, investigator, signed, table, column, value, rows
):
    assert verify(screening_with_outcomes(pk=signed.pk)).valid
    tamper(f"UPDATE {table} SET {column} = {value} WHERE {rows}", signed.pk)
    tampered = screening_with_outcomes(pk=signed.pk)
    assert not verify(tampered).valid
    page = client_for(investigator).get(reverse("screening:detail", args=[signed.pk])).content.decode()
    assert INVALID in page
    assert "Signature verified" not in page
    text = pdf_text(render_report(tampered, generated_by=investigator, generated_at=timezone.now())[2])
    assert "SIGNATURE NOT VALID." in text
    assert "verified when this report was made" not in text  # no clean signature block
    audit = client_for(investigator).get(reverse("screening:audit", args=[signed.pk])).content.decode()
    assert INVALID in audit


def test_a_hash_recomputed_without_the_key_does_not_verify(signed):
    """Whoever can write the database can recompute a plain hash of the record; not the keyed signature."""
    forged = hashlib.sha256(canonical(screening_record(signed))).hexdigest()
    tamper("UPDATE screening_signature SET content_hash = %s WHERE screening_id = %s", forged, signed.pk)
    assert not verify(screening_with_outcomes(pk=signed.pk)).valid


def test_the_untouched_record_verifies_everywhere(client_for, investigator, signed):
    page = client_for(investigator).get(reverse("screening:detail", args=[signed.pk])).content.decode()
    assert "Signature verified: the record is unchanged since signing." in page
    text = pdf_text(render_report(signed, generated_by=investigator, generated_at=timezone.now())[2])
    assert "verified when this report was made" in text


def test_signatures_verify_after_the_key_rotates_and_not_without_their_key(signed, settings):
    keys = dict(settings.SIGNATURE_KEYS)
    with override_settings(SIGNATURE_KEYS={"2027-01": "n" * 40, **keys}, SIGNATURE_KEY_ID="2027-01"):
        assert verify(screening_with_outcomes(pk=signed.pk)).valid  # signed with the older key, still configured
    with override_settings(SIGNATURE_KEYS={"2027-01": "n" * 40}, SIGNATURE_KEY_ID="2027-01"):
        result = verify(screening_with_outcomes(pk=signed.pk))
        assert not result.valid
        assert "is not configured here" in result.message


# The database itself refuses


def refused(operation):
    with pytest.raises(IntegrityError, match="signed"), transaction.atomic():
        operation()


def test_the_database_refuses_any_change_to_a_signed_screening(signed):
    refused(lambda: Screening.objects.filter(pk=signed.pk).update(weight_kg=99))
    refused(lambda: connection.cursor().execute("DELETE FROM screening_screening WHERE id = %s", [signed.pk]))
    refused(lambda: LabValue.objects.filter(screening=signed).update(value=1))
    refused(lambda: Medication.objects.create(screening=signed, name="Dilantin"))
    refused(lambda: Medication.objects.filter(screening=signed).delete())
    refused(lambda: CriterionOutcome.objects.filter(screening=signed).update(reason="fine"))
    with pytest.raises(Exception, match="signature_is_permanent"), transaction.atomic():
        Signature.objects.filter(screening=signed).update(comment="edited")
    with pytest.raises(Exception, match="signature_is_permanent"), transaction.atomic():
        Signature.objects.filter(screening=signed).delete()
    assert verify(screening_with_outcomes(pk=signed.pk)).valid


def test_the_enrollment_outcome_is_still_recorded_on_a_signed_screening(signed):
    Screening.objects.filter(pk=signed.pk).update(enrollment="enrolled", enrollment_recorded_at=timezone.now())
    assert verify(screening_with_outcomes(pk=signed.pk)).valid  # not part of what was signed


def test_a_signed_candidates_identity_and_any_screening_number_are_locked(signed, screening_for):
    candidate = signed.candidate
    with pytest.raises(IntegrityError, match="identity is locked"), transaction.atomic():
        type(candidate).objects.filter(pk=candidate.pk).update(initials="ZZ")
    with pytest.raises(IntegrityError, match="never changes"), transaction.atomic():
        type(candidate).objects.filter(pk=candidate.pk).update(screening_number=f"pending-{candidate.pk}")
    type(candidate).objects.filter(pk=candidate.pk).update(mrn="MRN-NEW")  # not part of the signed identity
    unsigned = screening_for(initials="UN").candidate
    type(unsigned).objects.filter(pk=unsigned.pk).update(initials="UO")  # nothing signed: still correctable
    with pytest.raises(IntegrityError, match="never changes"), transaction.atomic():
        type(unsigned).objects.filter(pk=unsigned.pk).update(screening_number="SCR-0000")
