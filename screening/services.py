"""Writes to screenings. Each runs in one transaction: a save either happens whole or not at all."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.services import candidate_create
from screening.facts import candidate_facts
from screening.models import (
    BloodPressureReading,
    CriterionOutcome,
    LabValue,
    Lesion,
    Medication,
    PriorTherapy,
    Screening,
)
from screening.rules.facts import FACTS
from screening.selectors import screening_for_evaluation
from trials.models import CriteriaVersion
from trials.ruleset import ruleset_for_version

SCREENING_FIELDS = (
    "cohort",
    "screening_date",
    "weight_kg",
    "ecog",
    "peripheral_neuropathy",
    "major_surgery",
    "major_surgery_date",
    "radiotherapy",
    "radiotherapy_date",
    "traumatic_injury",
    "traumatic_injury_date",
    "tumor_sample",
    "tumor_sample_date",
    "brain_metastases_treatment",
    "brain_metastases_treatment_date",
    "prior_therapy",
    "medications_taken",
)


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
        _copy_history(copy_from, screening)
    return screening


def _copy_history(source, target):
    for name in SCREENING_FIELDS:
        if name not in ("cohort", "screening_date"):
            setattr(target, name, getattr(source, name))
    target.answers = {code: value for code, value in source.answers.items() if code in FACTS}
    target.save()
    for related, model, fields in (
        ("therapies", PriorTherapy, ["modality", "setting", "agents", "started_on", "ended_on"]),
        ("medications", Medication, ["name", "dose", "purpose", "active"]),
        ("lesions", Lesion, ["site", "size_mm", "method"]),
    ):
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
    for name in SCREENING_FIELDS:
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
    related.all().delete()
    model.objects.bulk_create(model(screening=screening, **row) for row in rows)


@transaction.atomic
def screening_evaluate(*, screening):
    """Evaluate against the screening's own criteria version and store one outcome row per criterion."""
    screening = screening_for_evaluation(pk=screening.pk)
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
