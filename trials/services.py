"""Writes to criteria versions. Published versions never change: an amendment is a new draft copied from one."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from screening.rules import RuleError
from trials.models import CriteriaVersion, Criterion
from trials.ruleset import ruleset_for_version


@transaction.atomic
def criteria_version_create_amendment(*, source, label=None, note=""):
    """A draft copy of `source` and all its criteria, ready to edit."""
    if label is None:
        existing = set(source.trial.criteria_versions.values_list("label", flat=True))
        number = 1
        while f"Amendment {number}" in existing:
            number += 1
        label = f"Amendment {number}"
    draft = CriteriaVersion.objects.create(
        trial=source.trial, label=label, note=note, derived_from=source, status=CriteriaVersion.Status.DRAFT
    )
    bulk_create_with_history(
        [
            Criterion(
                version=draft,
                order=c.order,
                code=c.code,
                kind=c.kind,
                category=c.category,
                text=c.text,
                summary=c.summary,
                cohorts=c.cohorts,
                applies_to=c.applies_to,
                rule=c.rule,
            )
            for c in source.criteria.order_by("order")
        ],
        Criterion,
    )
    return draft


@transaction.atomic
def criteria_version_publish(*, version, effective_date=None):
    """Make a draft the trial's active version; the one it replaces is retired, unchanged."""
    version = CriteriaVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != CriteriaVersion.Status.DRAFT:
        raise ValidationError(
            f"{version.label} is {version.get_status_display().lower()}; only a draft can be published."
        )
    if not version.criteria.exists():
        raise ValidationError(f"{version.label} has no criteria.")
    try:
        ruleset_for_version(version)
    except RuleError as error:
        raise ValidationError(f"{version.label} cannot be published: {error}") from error
    for active in CriteriaVersion.objects.select_for_update().filter(
        trial=version.trial, status=CriteriaVersion.Status.ACTIVE
    ):
        active.status = CriteriaVersion.Status.RETIRED
        active.save(update_fields=["status"])
    version.status = CriteriaVersion.Status.ACTIVE
    version.effective_date = effective_date or timezone.localdate()
    version.published_at = timezone.now()
    version.save(update_fields=["status", "effective_date", "published_at"])
    return version
