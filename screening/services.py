"""Writes to screenings. Each runs in one transaction: a save either happens whole or not at all."""

import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from ehr.selection import SECTION_NAMES
from ehr.selectors import sections_to_confirm
from patients.models import Candidate
from patients.services import candidate_register
from review.models import Query
from review.services import queries_close_answered
from screening.facts import candidate_facts
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
from screening.selectors import screening_entered_by, screening_for_evaluation
from screening.signing import record_hash, signature_mac
from trials.models import CriteriaVersion
from trials.ruleset import ruleset_for_version


@transaction.atomic
def screening_start(*, candidate, trial, cohort, screening_date, coordinator, corrects=None, copy_from=None):
    """A new draft screening against the trial's criteria version active now; it keeps that version for good.

    It is numbered after the candidate (SCR-0001-2: their second screening); the candidate's row is locked while the
    number is chosen, so two screenings started at once never share one. With `copy_from`, only the history that
    stays true is copied from an earlier screening (see `_copy_history`); a correction copies everything.
    """
    try:
        version = trial.criteria_versions.get(status=CriteriaVersion.Status.ACTIVE)
    except CriteriaVersion.DoesNotExist:
        message = f"{trial.nct_id} has no active criteria version; an administrator must publish one."
        raise ValidationError(message) from None
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    screening = Screening(
        candidate=candidate,
        number=f"{candidate.screening_number}-{candidate.screenings.count() + 1}",
        trial=trial,
        criteria_version=version,
        cohort=cohort,
        screening_date=screening_date,
        coordinator=coordinator,
        corrects=corrects,
    )
    if corrects is not None:
        screening._change_reason = f"Correction of the signed screening {corrects.number}"
    screening.save()
    if copy_from is not None:
        _copy_history(copy_from, screening, everything=corrects is not None)
    return screening


@transaction.atomic
def screening_start_correction(*, screening, coordinator):
    """A new draft with all of a signed screening's entries, referring to it; the signed one stays as signed. An
    unsigned screening is simply edited: there is nothing to correct around."""
    if not Signature.objects.filter(screening_id=screening.pk).exists():
        raise ValidationError("Only a signed screening is corrected; this one can still be edited.")
    return screening_start(
        candidate=screening.candidate,
        trial=screening.trial,
        cohort=screening.cohort,
        screening_date=screening.screening_date,
        coordinator=coordinator,
        corrects=screening,
        copy_from=screening,
    )


def screening_sign(*, screening, signer, password, meaning, reviewed_hash, comment=""):
    """Sign a completed screening: the password again, a meaning that matches the verdict, exactly the record the
    investigator reviewed (`reviewed_hash`, from the sign page), never a screening they entered.

    The password is checked first, outside the transaction: it is slow on purpose, and nothing waits on it. Then the
    screening's row is locked, the same lock every edit takes, and everything is checked again on what is stored now.
    """
    if not signer.check_password(password):
        raise ValidationError({"password": "The password is not correct."})
    with transaction.atomic():
        Screening.objects.select_for_update().filter(pk=screening.pk).values_list("pk", flat=True).get()
        screening = screening_for_evaluation(pk=screening.pk)
        _check_signable(screening, signer, meaning, reviewed_hash)
        queries_close_answered(screening=screening, user=signer)
        signature = Signature(
            screening=screening,
            signer=signer,
            signer_name=signer.get_full_name() or signer.get_username(),
            meaning=meaning,
            comment=comment,
            signed_at=timezone.now(),
            key_id=settings.SIGNATURE_KEY_ID,
        )
        signature.content_hash = signature_mac(screening, signature)
        signature.save()
        return signature


def screening_sign_refusal(*, screening, signer):
    """Why `signer` cannot sign the screening as it is, in words for the sign page, or None if they can."""
    if Signature.objects.filter(screening_id=screening.pk).exists():
        return "This screening is already signed."
    if screening.status != Screening.Status.EVALUATED:
        return "A draft cannot be signed: the coordinator must evaluate it first."
    if screening.verdict == Screening.Verdict.INCOMPLETE:
        return "An incomplete screening cannot be signed: some criteria are still unknown."
    if screening_entered_by(screening=screening, user=signer):
        return "You entered this screening: another investigator must sign it."
    if Query.objects.filter(screening_id=screening.pk, status=Query.Status.OPEN).exists():
        return "A query on this screening waits for the coordinator's answer: it can be signed once it is answered."
    return None


def _check_signable(screening, signer, meaning, reviewed_hash):
    if refusal := screening_sign_refusal(screening=screening, signer=signer):
        raise ValidationError(refusal)
    if not hmac.compare_digest(reviewed_hash, record_hash(screening)):
        raise ValidationError("The screening changed after you opened it: review it again before signing.")
    if meaning != _meaning_for(screening.verdict):
        raise ValidationError(
            {
                "meaning": f"The evaluated verdict is {screening.get_verdict_display().lower()}. To decide otherwise, "
                "ask for a corrected screening."
            }
        )


def _meaning_for(verdict):
    if verdict == Screening.Verdict.ELIGIBLE:
        return Signature.Meaning.CONFIRM_ELIGIBLE
    return Signature.Meaning.CONFIRM_NOT_ELIGIBLE


# Outcomes that end an entry for a reason other than the criteria: they may be recorded at any stage, signed or not.
ENDS_ANY_TIME = {
    Screening.Enrollment.DECLINED,
    Screening.Enrollment.INVESTIGATOR_DECISION,
    Screening.Enrollment.OTHER_TRIAL,
    Screening.Enrollment.DIED,
    Screening.Enrollment.LOST,
    Screening.Enrollment.NOT_ENROLLED,
}
REASON_REQUIRED = {Screening.Enrollment.INVESTIGATOR_DECISION, Screening.Enrollment.NOT_ENROLLED}


def screening_outcome_refusal(*, screening, outcome, signed):
    """Why `outcome` cannot end this screening now, in words for the outcome field, or None if it can."""
    if outcome in ENDS_ANY_TIME:
        return None
    if not signed:
        return "Enrolled and screen failure are recorded after the investigator has signed the screening."
    if outcome == Screening.Enrollment.ENROLLED and screening.verdict != Screening.Verdict.ELIGIBLE:
        return "Only an eligible candidate can be enrolled."
    if outcome == Screening.Enrollment.SCREEN_FAILURE and screening.verdict != Screening.Verdict.INELIGIBLE:
        return "A screen failure is a screening signed as not meeting the criteria."
    return None


def screening_outcome_choices(*, screening):
    """The outcomes that can end this screening as it is now, in the order of the choices."""
    signed = screening.is_signed
    return [
        (value, label)
        for value, label in Screening.Enrollment.choices
        if screening_outcome_refusal(screening=screening, outcome=value, signed=signed) is None
    ]


@transaction.atomic
def screening_record_enrollment(*, screening, outcome, reason, user, change_reason=""):
    """How the entry ends: enrolled or a screen failure after sign-off; declined, an investigator's decision, another
    trial, died, lost or another reason at any stage. Once recorded, the outcome changes only with the reason for the
    change, which the audit trail keeps."""
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    signed = Signature.objects.filter(screening=screening).exists()
    if refusal := screening_outcome_refusal(screening=screening, outcome=outcome, signed=signed):
        raise ValidationError({"outcome": refusal})
    if screening.enrollment and not change_reason.strip():
        raise ValidationError({"change_reason": "The outcome is already recorded: say why it changes to change it."})
    if outcome in REASON_REQUIRED and not reason.strip():
        raise ValidationError({"reason": "Say why the candidate was not enrolled."})
    screening.enrollment = outcome
    screening.enrollment_reason = reason.strip()
    screening.enrollment_recorded_at = timezone.now()
    screening.enrollment_recorded_by = user
    if change_reason.strip():
        screening._change_reason = f"Enrollment outcome changed: {change_reason.strip()}"
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


HISTORY_ROWS = (("therapies", PriorTherapy, ["modality", "setting", "agents", "started_on", "ended_on"]),)
CURRENT_ROWS = (
    ("labs", LabValue, ["analyte", "value", "unit", "uln", "collected_on", "confirmed"]),
    ("blood_pressures", BloodPressureReading, ["taken_on", "systolic", "diastolic"]),
    ("medications", Medication, ["name", "dose", "purpose", "active"]),
    ("lesions", Lesion, ["site", "size_mm", "method"]),
)
ENTRY_ROWS = CURRENT_ROWS + HISTORY_ROWS
# Fields of the screening that say how the candidate is now: never copied to a later screening.
CURRENT_FIELDS = ("cohort", "screening_date", "weight_kg", "ecog", "peripheral_neuropathy", "medications_taken")


def _copy_history(source, target, *, everything=False):
    """What stays true at a later screening: the diagnosis and other history answers that were a yes, dated events
    (surgery, radiotherapy, injury, tumor sample, brain-metastasis treatment and imaging) and prior therapy. Weight,
    ECOG, neuropathy, lesions, medications, labs, readings and attestations describe the candidate on the earlier
    date and are entered afresh; so is a "none", which only covered the time up to the earlier screening.

    With `everything` (a correction of the same screening), every entry is copied.
    """
    for name in ENTRY_FIELDS:
        if everything or (name not in CURRENT_FIELDS and getattr(source, name) != "none"):
            setattr(target, name, getattr(source, name))
    target.answers = {
        code: value
        for code, value in source.answers.items()
        if everything or (code in FACTS and FACTS[code].carries_over(value))
    }
    target.save()
    for related, model, fields in ENTRY_ROWS if everything else HISTORY_ROWS:
        rows = [{name: getattr(row, name) for name in fields} for row in getattr(source, related).all()]
        _replace(model, target, rows)


class StaleEdit(ValidationError):
    """The entries were saved by someone else after the form was opened at revision `opened`; nothing was saved."""

    def __init__(self, opened):
        self.opened = opened
        super().__init__("Someone else saved this screening after you opened it.")


@transaction.atomic
def screening_update(
    *,
    screening,
    fields,
    answers,
    labs,
    blood_pressures,
    therapies,
    medications,
    lesions,
    warnings=(),
    evaluate=False,
    revision=None,
):
    """Replace everything entered for a screening. Any earlier verdict no longer holds until it is evaluated again;
    with `evaluate`, the new entries are evaluated in the same transaction, so a save never leaves a stale verdict.

    `labs` maps an Analyte to a dict of value, unit, uln, collected_on; the lists hold dicts of each row's fields.
    With `revision`, the one the form was opened at, a save someone else made since is never overwritten: StaleEdit
    is raised and nothing is saved. Everything evaluated comes from these arguments and the candidate, so `screening`
    is not read again; only the fields this function sets are written.
    """
    current = _lock_unsigned(screening)
    if revision is not None and revision != current:
        raise StaleEdit(revision)
    if evaluate:
        _check_ehr_confirmed(screening)
    screening.revision = current + 1
    for name in ENTRY_FIELDS:
        if name in fields:
            setattr(screening, name, fields[name])
    screening.answers = {code: value for code, value in answers.items() if value is not None}
    screening.warnings = list(warnings)
    given = {
        "labs": [{"analyte": analyte, **row} for analyte, row in labs.items()],
        "blood_pressures": blood_pressures,
        "therapies": therapies,
        "medications": medications,
        "lesions": lesions,
    }
    rows = {related: _replace(model, screening, given[related]) for related, model, _ in ENTRY_ROWS}
    if evaluate:
        _evaluate(screening, rows)
    else:
        screening.outcomes.all().delete()
        screening.status = Screening.Status.DRAFT
        screening.verdict = ""
        screening.evaluated_at = None
        screening.save(update_fields=UPDATED_FIELDS)
    return screening


@transaction.atomic
def screening_evaluate(*, screening):
    """Evaluate against the screening's own criteria version and store one outcome row per criterion. What is
    evaluated is read again under the lock: never an entry that another save has since replaced."""
    current = _lock_unsigned(screening)
    _check_ehr_confirmed(screening)
    screening = Screening.objects.select_related("candidate", "criteria_version").get(pk=screening.pk)
    screening.revision = current + 1
    screening._change_reason = "Evaluated again against its criteria version"
    return screening, _evaluate(screening, _stored_rows(screening))


@transaction.atomic
def screening_move_to_active_version(*, screening, user):
    """An open screening on a retired criteria version moves to the trial's active one; evaluated, it is evaluated
    again there. Who moved it, and from which version, is in its history."""
    current = _lock_unsigned(screening)
    screening = Screening.objects.select_related("candidate", "criteria_version__trial").get(pk=screening.pk)
    retired = screening.criteria_version
    active = CriteriaVersion.objects.filter(trial=retired.trial, status=CriteriaVersion.Status.ACTIVE).first()
    if active is None or active.pk == retired.pk:
        raise ValidationError(f"{screening.number} is already on the active criteria version.")
    screening.criteria_version = active
    screening.revision = current + 1
    mover = user.get_full_name() or user.get_username()
    screening._change_reason = f"Moved from {retired.label} to the active version {active.label} by {mover}"
    screening.save(update_fields=["criteria_version", "revision", "updated_at"])
    if screening.status == Screening.Status.EVALUATED:
        _evaluate(screening, _stored_rows(screening))
    return screening


UPDATED_FIELDS = (*ENTRY_FIELDS, "answers", "warnings", "status", "verdict", "evaluated_at", "revision", "updated_at")


def _lock_unsigned(screening):
    """Lock the screening's row against concurrent saves and sign-offs until the transaction ends, and return its
    revision; refuse a signed one. The signature is looked for only once the lock is held, in a statement of its own:
    under READ COMMITTED the statement that waited for the lock still reads from before the wait, and would miss a
    sign-off that committed meanwhile."""
    revision = Screening.objects.select_for_update().filter(pk=screening.pk).values_list("revision", flat=True).get()
    if Signature.objects.filter(screening_id=screening.pk).exists():
        raise ValidationError(
            "This screening is signed and locked. To correct it, start a correction: a new screening that refers "
            "to this one."
        )
    return revision


class EhrNotConfirmed(ValidationError):
    """The screening holds values prefilled from the EHR whose sections the coordinator has not confirmed."""

    def __init__(self, sections):
        self.sections = sections
        names = ", ".join(SECTION_NAMES[section] for section in sections)
        super().__init__(f"Confirm the values prefilled from the EHR first: {names}.")


def _check_ehr_confirmed(screening):
    """Values prefilled from the EHR are evaluated only once the coordinator has confirmed their sections."""
    if pending := sections_to_confirm(screening):
        raise EhrNotConfirmed(pending)


def _stored_rows(screening):
    """The rows stored now, as the evaluation reads them; read under the lock, so no concurrent save slips in."""
    rows = {related: getattr(screening, related).all() for related, _, _ in ENTRY_ROWS}
    rows["labs"] = rows["labs"].select_related("analyte")
    return {related: list(queryset) for related, queryset in rows.items()}


def _replace(model, screening, rows):
    """Make a screening's rows exactly `rows` (dicts of their fields). Only rows that changed are deleted or added, so
    the audit trail shows just the real changes. Returns `rows` as model instances, in order, for reading only (the
    unchanged ones are not the stored instances)."""
    given = [model(screening=screening, **row) for row in rows]
    columns = [model._meta.get_field(name).attname for name in sorted({name for row in rows for name in row})]
    unmatched = {}
    for pk, *values in model.objects.filter(screening=screening).order_by().values_list("pk", *columns):
        unmatched.setdefault(tuple(values), []).append(pk)
    added = []
    for item in given:
        same = unmatched.get(tuple(getattr(item, column) for column in columns))
        if same:
            same.pop()
        else:
            added.append(item)
    removed = [pk for pks in unmatched.values() for pk in pks]
    if removed:
        model.objects.filter(pk__in=removed).delete()
    if added:
        bulk_create_with_history(added, model)
    return given


# What an evaluation decides for each criterion. The rest of an outcome row (order, kind, texts) comes from the
# screening's criteria version, which never changes once active.
DECIDED = ("status", "reason", "evidence", "missing")


def _evaluate(screening, rows):
    ruleset = ruleset_for_version(screening.criteria_version)
    result = ruleset.evaluate(candidate_facts(screening, rows), screening.screening_date, screening.cohort)
    _store_outcomes(screening, result.criteria)
    screening.status = Screening.Status.EVALUATED
    screening.verdict = result.verdict.value
    screening.evaluated_at = timezone.now()
    screening.save(update_fields=UPDATED_FIELDS)
    return result


def _store_outcomes(screening, criteria):
    """One outcome row per criterion. Only the rows whose outcome changed are replaced: evaluating again after a
    small correction writes one or two rows, not all of them."""
    decided = {
        criterion.code: [
            criterion.status,
            criterion.reason,
            list(criterion.evidence),
            [{"field": m.field, "label": m.label} for m in criterion.missing],
        ]
        for criterion in criteria
    }
    stored = {code: (pk, values) for pk, code, *values in screening.outcomes.values_list("pk", "code", *DECIDED)}
    changed = {code for code, values in decided.items() if code not in stored or stored[code][1] != values}
    stale = [pk for code, (pk, _) in stored.items() if code not in decided or code in changed]
    if stale:
        CriterionOutcome.objects.filter(pk__in=stale).delete()
    CriterionOutcome.objects.bulk_create(
        CriterionOutcome(
            screening=screening,
            order=order,
            code=criterion.code,
            kind=criterion.kind,
            text=criterion.text,
            summary=criterion.summary,
            **dict(zip(DECIDED, decided[criterion.code], strict=True)),
        )
        for order, criterion in enumerate(criteria)
        if criterion.code in changed
    )


@transaction.atomic
def screening_register(
    *, trial, initials, birth_date, sex, mrn, cohort, screening_date, coordinator, confirm_new_person=False
):
    """A new candidate and their first screening, together or not at all. Two registrations of one person or one
    record number at the same moment never make twins: see `candidate_register`."""
    candidate = candidate_register(
        initials=initials,
        birth_date=birth_date,
        sex=sex,
        mrn=mrn,
        created_by=coordinator,
        confirm_new_person=confirm_new_person,
    )
    return screening_start(
        candidate=candidate, trial=trial, cohort=cohort, screening_date=screening_date, coordinator=coordinator
    )
