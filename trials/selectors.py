from django.shortcuts import get_object_or_404

from trials.models import Analyte, Trial
from trials.ruleset import vocabulary_stamp

_analytes = {}


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


def analytes_with_units():
    """Every analyte with its accepted units, for the lab rows of the screening form. Read once per process and again
    only when the vocabulary stamp changes (an analyte or unit added, edited or deleted), like the compiled rules."""
    stamp = vocabulary_stamp()
    if _analytes.get("stamp") != stamp:
        _analytes.update(stamp=stamp, analytes=list(Analyte.objects.prefetch_related("units").order_by("name")))
    return _analytes["analytes"]
