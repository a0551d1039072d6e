"""Reads for pre-screen runs: the runs, a run's results as ranked and filtered, and its de-identified summary (the
counts by standing and the attrition funnel per criterion)."""

from django.db.models import Count

from prescreen.models import PrescreenAccess, PrescreenResult, PrescreenRun
from screening.rules.outcomes import MET, NOT_APPLICABLE, NOT_MET, UNKNOWN
from trials.ruleset import ruleset_for_version


def runs():
    return PrescreenRun.objects.select_related("started_by", "criteria_version")


def run_criteria(run):
    """(code, summary) of the run's criteria, in the record's order."""
    return [(spec.code, spec.summary) for spec in ruleset_for_version(run.criteria_version).specs]


def results(run, *, standing=None, criterion=None, status=None):
    """The run's results, ranked: nothing failed and fewest facts to collect first, then too little data, then
    failed (fewest failed first); optionally only one standing, or those whose `criterion` came out `status`."""
    rows = run.results.select_related("screening")  # each row links to its screening once made
    if standing:
        rows = rows.filter(standing=standing)
    if criterion:
        rows = rows.filter(**{f"statuses__{criterion}": status}) if status else rows.filter(statuses__has_key=criterion)
    return rows.order_by("standing", "to_collect_count", "failed_count", "pk")


def standing_counts(run):
    counts = dict(run.results.order_by().values_list("standing").annotate(n=Count("pk")))
    return [(label, counts.get(value, 0), value) for value, label in PrescreenResult.Standing.choices]


def funnel(run):
    """Per criterion, in the record's order: how many patients it failed, left undecided, met or did not apply to,
    and how many remain after it and every criterion before it (a patient leaves at the first criterion failed).
    Patients whose records could not be read are not in it."""
    criteria = run_criteria(run)
    tally = {code: {MET: 0, NOT_MET: 0, UNKNOWN: 0, NOT_APPLICABLE: 0, "excluded": 0} for code, _ in criteria}
    order = [code for code, _ in criteria]
    evaluated = 0
    for statuses in run.results.exclude(statuses={}).values_list("statuses", flat=True).iterator(chunk_size=2000):
        evaluated += 1
        for code in order:
            tally[code][statuses.get(code, NOT_APPLICABLE)] += 1
        first_failed = next((code for code in order if statuses.get(code) == NOT_MET), None)
        if first_failed:
            tally[first_failed]["excluded"] += 1
    remaining, rows = evaluated, []
    for code, summary in criteria:
        remaining -= tally[code]["excluded"]
        rows.append({"code": code, "summary": summary, **tally[code], "remaining": remaining})
    return {"evaluated": evaluated, "criteria": rows}


def accesses(run):
    return PrescreenAccess.objects.filter(run_number=run.pk).select_related("user")
