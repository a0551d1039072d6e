"""Writes for amendments: ask for an impact preview of a draft, and run it (in a Celery worker)."""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from amendments.impact import ImpactTally
from amendments.models import ImpactPreview
from amendments.selectors import active_version_of, evaluated_in_batches, evaluated_screenings
from config.garbage import no_cyclic_garbage_collection
from trials.ruleset import ruleset_for_version
from trials.services import draft_content_hash

logger = logging.getLogger(__name__)

# A preview "running" this long lost its worker and may be taken over by the redelivered message.
RUNNING_TIMEOUT = timedelta(minutes=10)


@transaction.atomic
def impact_preview_request(*, version, user):
    """A queued preview of the draft as it is now, run after commit; an unfinished one of the same content is
    reused rather than started twice."""
    draft_hash = draft_content_hash(version)
    pending = version.impact_previews.filter(
        draft_hash=draft_hash, status__in=[ImpactPreview.Status.QUEUED, ImpactPreview.Status.RUNNING]
    ).first()
    if pending:
        return pending
    preview = ImpactPreview.objects.create(
        version=version,
        draft_hash=draft_hash,
        compared_with=active_version_of(version.trial),
        requested_by=user,
        total=evaluated_screenings(trial=version.trial).count(),
    )
    transaction.on_commit(lambda: _send(preview.pk))
    return preview


def _send(preview_id):
    from amendments.tasks import run_impact_preview

    run_impact_preview.delay(preview_id)


def impact_preview_run(*, preview_id):
    """Re-evaluate every evaluated screening of the trial under the draft and store the tally. Safe to run twice:
    a done preview is left alone, and a second delivery finds the preview claimed."""
    now = timezone.now()
    claimed = (
        ImpactPreview.objects.filter(pk=preview_id, status=ImpactPreview.Status.QUEUED).update(
            status=ImpactPreview.Status.RUNNING, started_at=now, done=0
        )
    ) or (
        ImpactPreview.objects.filter(
            pk=preview_id, status=ImpactPreview.Status.RUNNING, started_at__lt=now - RUNNING_TIMEOUT
        ).update(started_at=now, done=0)
    )
    if not claimed:
        return None
    preview = ImpactPreview.objects.select_related("version__trial").get(pk=preview_id)
    try:
        ruleset = ruleset_for_version(preview.version)
        if draft_content_hash(preview.version) != preview.draft_hash:
            raise ValueError("The draft changed after the preview was asked for: ask for a new one.")
        tally = ImpactTally()
        with no_cyclic_garbage_collection():
            for batch in evaluated_in_batches(trial=preview.version.trial):
                for evaluated in batch:
                    tally.add(evaluated, ruleset.evaluate(evaluated.facts, evaluated.screening_date, evaluated.cohort))
                ImpactPreview.objects.filter(pk=preview_id).update(done=tally.screenings)
    except Exception as error:
        logger.exception("Impact preview %s failed", preview_id)
        ImpactPreview.objects.filter(pk=preview_id).update(
            status=ImpactPreview.Status.FAILED, error=str(error), finished_at=timezone.now()
        )
        return None
    ImpactPreview.objects.filter(pk=preview_id).update(
        status=ImpactPreview.Status.DONE,
        results=tally.as_data(),
        total=tally.screenings,
        done=tally.screenings,
        finished_at=timezone.now(),
    )
    return preview_id
