"""Writes to screenings. Each runs in one transaction: a save either happens whole or not at all."""

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
ENTRY_ROWS = DATED_ROWS + HISTORY_ROWS


def _copy_history(source, target, *, everything=False):
    """History that does not go stale; with `everything`, also labs, readings and attestations (a correction)."""
    for name in ENTRY_FIELDS:
        if name not in ("cohort", "screening_date") or everything:
            setattr(target, name, getattr(source, name))
    target.answers = {code: value for code, value in source.answers.items() if everything or code in FACTS}
    target.save()
    for related, model, fields in HISTORY_ROWS + (DATED_ROWS if everything else ()):
        rows = [{name: getattr(row, name) for name in fields} for row in getattr(source, related).all()]
        _replace(model, [], rows, target)


@transaction.atomic
def screening_update(
    *, screening, fields, answers, labs, blood_pressures, therapies, medications, lesions, warnings=(), evaluate=False
):
    """Replace everything entered for a screening. Any earlier verdict no longer holds until it is evaluated again;
    with `evaluate`, the new entries are evaluated in the same transaction, so a save never leaves a stale verdict.

    `labs` maps an Analyte to a dict of value, unit, uln, collected_on; the lists hold dicts of each row's fields.
    """
    screening = _locked_unsigned(screening.pk)
    for name in ENTRY_FIELDS:
        if name in fields:
            setattr(screening, name, fields[name])
    screening.answers = {code: value for code, value in answers.items() if value is not None}
    screening.warnings = list(warnings)
    stored = _stored_rows(screening)
    given = {
        "labs": [{"analyte": analyte, **row} for analyte, row in labs.items()],
        "blood_pressures": blood_pressures,
        "therapies": therapies,
        "medications": medications,
        "lesions": lesions,
    }
    rows = {related: _replace(model, stored[related], given[related], screening) for related, model, _ in ENTRY_ROWS}
    if evaluate:
        _evaluate(screening, rows)
    else:
        screening.outcomes.all().delete()
        screening.status = Screening.Status.DRAFT
        screening.verdict = ""
        screening.evaluated_at = None
        screening.save()
    return screening


@transaction.atomic
def screening_evaluate(*, screening):
    """Evaluate against the screening's own criteria version and store one outcome row per criterion."""
    screening = _locked_unsigned(screening.pk)
    return screening, _evaluate(screening, _stored_rows(screening))


def _locked_unsigned(pk):
    """The screening, locked against concurrent saves until the transaction ends; a signed one is refused."""
    screening = (
        Screening.objects.select_for_update(of=("self",))
        .select_related("candidate", "criteria_version", "signature")
        .get(pk=pk)
    )
    if screening.is_signed:
        raise ValidationError(
            "This screening is signed and locked. To correct it, start a correction: a new screening that refers "
            "to this one."
        )
    return screening


def _stored_rows(screening):
    """The rows stored now; read under the lock, so that no concurrent save slips in between."""
    rows = {related: getattr(screening, related).all() for related, _, _ in ENTRY_ROWS}
    rows["labs"] = rows["labs"].select_related("analyte")
    return {related: list(queryset) for related, queryset in rows.items()}


def _replace(model, stored, rows, screening):
    """Make a screening's rows exactly `rows` (dicts of their fields) and return them as model instances, in the
    order given. Only rows that changed are deleted or added, so the audit trail shows just the real changes."""
    fields = sorted({name for row in rows for name in row})
    unmatched = {}
    for item in stored:
        unmatched.setdefault(tuple(getattr(item, name) for name in fields), []).append(item)
    result, added = [], []
    for row in rows:
        same = unmatched.get(tuple(row[name] for name in fields))
        if same:
            result.append(same.pop())
        else:
            added.append(model(screening=screening, **row))
            result.append(added[-1])
    removed = [item.pk for items in unmatched.values() for item in items]
    if removed:
        model.objects.filter(pk__in=removed).delete()
    if added:
        bulk_create_with_history(added, model)
    return result


OUTCOME_FIELDS = ("code", "order", "kind", "text", "summary", "status", "reason", "evidence", "missing")


def _evaluate(screening, rows):
    ruleset = ruleset_for_version(screening.criteria_version)
    result = ruleset.evaluate(candidate_facts(screening, rows), screening.screening_date, screening.cohort)
    _store_outcomes(screening, result.criteria)
    screening.status = Screening.Status.EVALUATED
    screening.verdict = result.verdict.value
    screening.evaluated_at = timezone.now()
    screening.save()
    return result


def _store_outcomes(screening, criteria):
    """One outcome row per criterion. Only the rows whose outcome changed are replaced: evaluating again after a
    small correction writes one or two rows, not all of them."""
    wanted = {
        criterion.code: [
            criterion.code,
            order,
            criterion.kind,
            criterion.text,
            criterion.summary,
            criterion.status,
            criterion.reason,
            list(criterion.evidence),
            [{"field": m.field, "label": m.label} for m in criterion.missing],
        ]
        for order, criterion in enumerate(criteria)
    }
    stored = {values[0]: (pk, values) for pk, *values in screening.outcomes.values_list("pk", *OUTCOME_FIELDS)}
    changed = {code for code, values in wanted.items() if code not in stored or stored[code][1] != values}
    stale = [pk for code, (pk, _) in stored.items() if code not in wanted or code in changed]
    if stale:
        CriterionOutcome.objects.filter(pk__in=stale).delete()
    CriterionOutcome.objects.bulk_create(
        CriterionOutcome(screening=screening, **dict(zip(OUTCOME_FIELDS, wanted[code], strict=True)))
        for code in changed
    )


@transaction.atomic
def screening_register(*, trial, initials, birth_date, sex, mrn, cohort, screening_date, coordinator):
    """A new candidate and their first screening, together or not at all."""
    candidate = candidate_create(initials=initials, birth_date=birth_date, sex=sex, mrn=mrn, created_by=coordinator)
    return screening_start(
        candidate=candidate, trial=trial, cohort=cohort, screening_date=screening_date, coordinator=coordinator
    )
