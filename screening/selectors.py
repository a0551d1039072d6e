from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from screening.models import Report, Screening
from trials.models import CriteriaVersion

CHILD_ROWS = ("labs__analyte", "blood_pressures", "therapies", "medications", "lesions")


def screening_for_evaluation(*, pk):
    """A screening with everything evaluation and the form read, in a fixed number of queries."""
    return (
        Screening.objects.select_related("candidate", "trial", "criteria_version", "coordinator", "signature")
        .prefetch_related(*CHILD_ROWS)
        .get(pk=pk)
    )


def screening_for_entry(*, pk):
    """A screening with what checking a posted form needs, but not its rows: the post replaces them."""
    return Screening.objects.select_related("candidate", "criteria_version", "signature").get(pk=pk)


def screening_with_outcomes(*, pk):
    """A screening with its stored outcomes and what was entered, for the result page."""
    return (
        Screening.objects.select_related("candidate", "trial", "criteria_version", "coordinator")
        .prefetch_related("outcomes", *CHILD_ROWS)
        .get(pk=pk)
    )


def screenings_recent(*, user, limit=20):
    """The user's own recent screenings (coordinators), or everyone's (readers)."""
    queryset = Screening.objects.select_related("candidate", "coordinator")
    if user.has_perm("screening.change_screening"):
        queryset = queryset.filter(coordinator=user)
    return queryset.order_by("-created_at")[:limit]


def screening_entered_by(*, screening, user):
    """Whether the user entered any of the screening: its coordinator, or anyone who saved it (who may not sign it)."""
    return screening.coordinator_id == user.pk or screening.history.filter(history_user=user).exists()


def reports_needing_attention():
    """For the administrators' page: failed reports, and reports waiting longer than REPORT_STUCK_AFTER_SECONDS."""
    stuck_before = timezone.now() - timedelta(seconds=settings.REPORT_STUCK_AFTER_SECONDS)
    waiting = [Report.Status.QUEUED, Report.Status.RUNNING, Report.Status.RETRYING]
    return (
        Report.objects.filter(Q(status=Report.Status.FAILED) | Q(status__in=waiting, updated_at__lt=stuck_before))
        .select_related("screening", "requested_by")
        .order_by("-updated_at")
    )


def version_replacing(screening):
    """The trial's active criteria version when an open (unsigned) screening is still on a retired one, else None."""
    version = screening.criteria_version
    if version.status != CriteriaVersion.Status.RETIRED or screening.is_signed:
        return None
    return CriteriaVersion.objects.filter(trial_id=version.trial_id, status=CriteriaVersion.Status.ACTIVE).first()
