from django.shortcuts import get_object_or_404

from trials.models import Trial


def trial_list():
    return Trial.objects.order_by("nct_id")


def trial_with_record(*, nct_id):
    """A trial with everything its page shows, in a fixed number of queries."""
    return get_object_or_404(
        Trial.objects.prefetch_related(
            "identifiers", "interventions", "arms__interventions", "outcome_measures", "locations", "investigators"
        ),
        nct_id=nct_id,
    )


def trials_open_for_screening():
    """Trials that have an active criteria version, so a screening can start."""
    return Trial.objects.filter(criteria_versions__status="active").order_by("nct_id")
