"""Writes to screenings. Each runs in one transaction: a save either happens whole or not at all."""

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from patients.services import candidate_create
from screening.facts import candidate_facts
from screening.integrity import content_hash
from screening.models import (
    ENTRY_FIELDS,
    BloodPressureReading,
    CriterionOutcome,
    LabValue,
    Lesion,
    Medication,
    PriorTherapy,
    Screening,
    Signature,
)
from screening.rules.facts import FACTS
from screening.selectors import screening_for_evaluation
from trials.models import CriteriaVersion
from trials.ruleset import ruleset_for_version


@transaction.atomic
def screening_start(*, candidate, trial, cohort, screening_date, coordinator, corrects=None, copy_from=None):
    """A new draft screening against the trial's criteria version active now; it keeps that version for good.

    With `copy_from`, the history that does not go stale is copied from an earlier screening (disease, prior
    therapy, procedures, medications, lesions); labs, blood pressure and attestations are entered afresh.
    """
    try:
        version = trial.criteria_versions.get(status=CriteriaVersion.Status.ACTIVE)
    except CriteriaVersion.DoesNotExist:
        message = f"{trial.nct_id} has no active criteria version; an administrator must publish one."
        raise ValidationError(message) from None
    screening = Screening.objects.create(
        candidate=candidate,
        trial=trial,
        criteria_version=version,
        cohort=cohort,
        screening_date=screening_date,
        coordinator=coordinator,
        corrects=corrects,
    )
    if copy_from is not None:
        _copy_history(copy_from, screening, everything=corrects is not None)
    return screening


def _refuse_if_signed(screening):
    if Signature.objects.filter(screening=screening).exists():
        raise ValidationError(
            "This screening is signed and locked. To correct it, start a correction: a new screening that refers "
            "to this one."
        )


@transaction.atomic
def screening_start_correction(*, screening, coordinator):
    """A new draft with all of a signed screening's entries, referring to it; the signed one stays as signed."""
    return screening_start(
        candidate=screening.candidate,
        trial=screening.trial,
        cohort=screening.cohort,
        screening_date=screening.screening_date,
        coordinator=coordinator,
        corrects=screening,
        copy_from=screening,
    )


@transaction.atomic
def screening_sign(*, screening, signer, password, meaning, comment=""):
    """Sign a completed screening: the password again, a meaning that matches the verdict, and a content hash."""
    Screening.objects.select_for_update().get(pk=screening.pk)  # one signer at a time
    screening = screening_for_evaluation(pk=screening.pk)
    errors = {}
    if not signer.check_password(password):
        errors["password"] = "The password is not correct."
    if Signature.objects.filter(screening=screening).exists():
        errors["__all__"] = "This screening is already signed."
    elif screening.status != Screening.Status.EVALUATED:
        errors["__all__"] = "A draft cannot be signed: the coordinator must evaluate it first."
    elif screening.verdict == Screening.Verdict.INCOMPLETE:
        errors["__all__"] = "An incomplete screening cannot be signed: some criteria are still unknown."
    elif meaning != _meaning_for(screening.verdict):
        errors["meaning"] = (
            f"The evaluated verdict is {screening.get_verdict_display().lower()}. To decide otherwise, ask for a "
            "corrected screening."
        )
    if errors:
        raise ValidationError(errors)
    return Signature.objects.create(
        screening=screening,
        signer=signer,
        signer_name=signer.get_full_name() or signer.get_username(),
        meaning=meaning,
        comment=comment,
        signed_at=timezone.now(),
        content_hash=content_hash(screening),
    )


def _meaning_for(verdict):
    if verdict == Screening.Verdict.ELIGIBLE:
        return Signature.Meaning.CONFIRM_ELIGIBLE
    return Signature.Meaning.CONFIRM_NOT_ELIGIBLE


@transaction.atomic
def screening_record_enrollment(*, screening, outcome, reason, user):
    """After sign-off: enrolled, declined by the candidate, or not enrolled (with the reason)."""
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if not Signature.objects.filter(screening=screening).exists():
        raise ValidationError("Record the enrollment outcome after the investigator has signed the screening.")
    if outcome == Screening.Enrollment.ENROLLED and screening.verdict != Screening.Verdict.ELIGIBLE:
        raise ValidationError({"outcome": "Only an eligible candidate can be enrolled."})
    if outcome == Screening.Enrollment.NOT_ENROLLED and not reason.strip():
        raise ValidationError({"reason": "Say why the candidate was not enrolled."})
    screening.enrollment = outcome
    screening.enrollment_reason = reason.strip()
    screening.enrollment_recorded_at = timezone.now()
    screening.enrollment_recorded_by = user
    screening.save(
        update_fields=[
            "enrollment",
            "enrollment_reason",
            "enrollment_recorded_at",
            "enrollment_recorded_by",
            "updated_at",
        ]
    )
    return screening


HISTORY_ROWS = (
    ("therapies", PriorTherapy, ["modality", "setting", "agents", "started_on", "ended_on"]),
    ("medications", Medication, ["name", "dose", "purpose", "active"]),
    ("lesions", Lesion, ["site", "size_mm", "method"]),
)
DATED_ROWS = (
    ("labs", LabValue, ["analyte", "value", "unit", "uln", "collected_on"]),
    ("blood_pressures", BloodPressureReading, ["taken_on", "systolic", "diastolic"]),
)


def _copy_history(source, target, *, everything=False):
    """History that does not go stale; with `everything`, also labs, readings and attestations (a correction)."""
    for name in ENTRY_FIELDS:
        if name not in ("cohort", "screening_date") or everything:
            setattr(target, name, getattr(source, name))
    target.answers = {code: value for code, value in source.answers.items() if everything or code in FACTS}
    target.save()
    for related, model, fields in HISTORY_ROWS + (DATED_ROWS if everything else ()):
        rows = [{name: getattr(row, name) for name in fields} for row in getattr(source, related).all()]
        _replace(getattr(target, related), model, rows, target)


@transaction.atomic
def screening_update(
    *, screening, fields, answers, labs, blood_pressures, therapies, medications, lesions, warnings=()
):
    """Replace everything entered for a screening. Any earlier verdict no longer holds until it is evaluated again.

    `labs` maps an Analyte to a dict of value, unit, uln, collected_on; the lists hold dicts of each row's fields.
    """
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    _refuse_if_signed(screening)
    for name in ENTRY_FIELDS:
        if name in fields:
            setattr(screening, name, fields[name])
    screening.answers = {code: value for code, value in answers.items() if value is not None}
    screening.warnings = list(warnings)
    screening.status = Screening.Status.DRAFT
    screening.verdict = ""
    screening.evaluated_at = None
    screening.save()
    screening.outcomes.all().delete()
    _replace(screening.labs, LabValue, [{"analyte": analyte, **row} for analyte, row in labs.items()], screening)
    _replace(screening.blood_pressures, BloodPressureReading, blood_pressures, screening)
    _replace(screening.therapies, PriorTherapy, therapies, screening)
    _replace(screening.medications, Medication, medications, screening)
    _replace(screening.lesions, Lesion, lesions, screening)
    return screening


def _replace(related, model, rows, screening):
    """Make a screening's rows exactly `rows`, each change in the audit trail. An unchanged set is left alone, so a
    re-save touches nothing and the trail shows only real changes."""
    existing = list(related.all())
    if _as_set(existing, rows) == _as_set(rows, rows):
        return
    related.all().delete()
    bulk_create_with_history([model(screening=screening, **row) for row in rows], model)


def _as_set(items, rows):
    """Rows as a multiset of their values (in the fields the new rows give), whatever their order."""
    fields = sorted({name for row in rows for name in row})
    if not fields:
        return Counter(len(items) * [()])
    value = (lambda item, name: item[name]) if items is rows else getattr
    return Counter(tuple(value(item, name) for name in fields) for item in items)


@transaction.atomic
def screening_evaluate(*, screening):
    """Evaluate against the screening's own criteria version and store one outcome row per criterion."""
    screening = screening_for_evaluation(pk=screening.pk)
    _refuse_if_signed(screening)
    ruleset = ruleset_for_version(screening.criteria_version)
    result = ruleset.evaluate(candidate_facts(screening), screening.screening_date, screening.cohort)
    screening.outcomes.all().delete()
    CriterionOutcome.objects.bulk_create(
        CriterionOutcome(
            screening=screening,
            order=order,
            code=criterion.code,
            kind=criterion.kind,
            text=criterion.text,
            summary=criterion.summary,
            status=criterion.status,
            reason=criterion.reason,
            evidence=list(criterion.evidence),
            missing=[{"field": m.field, "label": m.label} for m in criterion.missing],
        )
        for order, criterion in enumerate(result.criteria)
    )
    screening.status = Screening.Status.EVALUATED
    screening.verdict = result.verdict.value
    screening.evaluated_at = timezone.now()
    screening.save(update_fields=["status", "verdict", "evaluated_at", "updated_at"])
    return screening, result


@transaction.atomic
def screening_register(*, trial, initials, birth_date, sex, mrn, cohort, screening_date, coordinator):
    """A new candidate and their first screening, together or not at all."""
    candidate = candidate_create(initials=initials, birth_date=birth_date, sex=sex, mrn=mrn, created_by=coordinator)
    return screening_start(
        candidate=candidate, trial=trial, cohort=cohort, screening_date=screening_date, coordinator=coordinator
    )
