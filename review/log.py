"""Reads for the screen-fail log: the filtered screenings, the sponsor-report numbers, the trend, the exports.

Every figure is one query over the filtered set, so the page costs the same with ten screenings or a million.
"""

from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q
from django.db.models.functions import TruncMonth, TruncWeek

from screening.models import CriterionOutcome, Screening
from trials.models import Criterion

SORTS = {
    "-date": ("-screening_date", "-id"),
    "date": ("screening_date", "id"),
    "number": ("candidate__screening_number", "id"),
    "-number": ("-candidate__screening_number", "-id"),
    "verdict": ("verdict", "-screening_date", "-id"),
}


def log_screenings(*, filters):
    """Screenings matching the log's filters (a cleaned LogFilterForm), newest first unless sorted otherwise."""
    queryset = Screening.objects.all()
    if filters.get("date_from"):
        queryset = queryset.filter(screening_date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(screening_date__lte=filters["date_to"])
    if filters.get("verdict") == "draft":
        queryset = queryset.filter(status=Screening.Status.DRAFT)
    elif filters.get("verdict"):
        queryset = queryset.filter(verdict=filters["verdict"])
    if filters.get("outcome") == "none":
        queryset = queryset.filter(enrollment="")
    elif filters.get("outcome"):
        queryset = queryset.filter(enrollment=filters["outcome"])
    if filters.get("cohort"):
        queryset = queryset.filter(cohort=filters["cohort"])
    if filters.get("coordinator"):
        queryset = queryset.filter(coordinator=filters["coordinator"])
    if filters.get("version"):
        queryset = queryset.filter(criteria_version=filters["version"])
    if filters.get("signed") == "yes":
        queryset = queryset.filter(signature__isnull=False)
    elif filters.get("signed") == "no":
        queryset = queryset.filter(signature__isnull=True)
    if filters.get("failed"):
        failed = CriterionOutcome.objects.filter(screening=OuterRef("pk"), code=filters["failed"], status="not_met")
        queryset = queryset.filter(Exists(failed))
    if filters.get("q"):
        queryset = queryset.filter(number__icontains=filters["q"].strip())
    return queryset.order_by(*SORTS.get(filters.get("sort") or "-date", SORTS["-date"]))


def with_rows(queryset, *, missing=False):
    """What each row of the log shows, in a fixed number of queries per page: the failed outcomes (`failed_outcomes`)
    and, with `missing` (the exports), the unknown ones with what they lack (`unknown_outcomes`)."""
    failed = CriterionOutcome.objects.filter(status="not_met").only("screening_id", "code", "summary", "order")
    prefetches = [Prefetch("outcomes", queryset=failed.order_by("order"), to_attr="failed_outcomes")]
    if missing:
        unknown = CriterionOutcome.objects.filter(status="unknown").only("screening_id", "missing", "order")
        prefetches.append(Prefetch("outcomes", queryset=unknown.order_by("order"), to_attr="unknown_outcomes"))
    return queryset.select_related("candidate", "coordinator", "signature").prefetch_related(*prefetches)


E = Screening.Enrollment
OTHER_REASONS = (E.INVESTIGATOR_DECISION, E.OTHER_TRIAL, E.DIED, E.LOST, E.NOT_ENROLLED)


def log_summary(queryset):
    """Counts for the filtered set: the verdicts, sign-offs and CONSORT 2010's flow (`consort`), with the attrition."""
    meets = ~Q(verdict=Screening.Verdict.INELIGIBLE)
    counts = queryset.aggregate(
        screenings=Count("id"),
        assessed=Count("id", filter=Q(status=Screening.Status.EVALUATED)),
        excluded=Count("id", filter=Q(verdict=Screening.Verdict.INELIGIBLE)),
        eligible=Count("id", filter=Q(verdict=Screening.Verdict.ELIGIBLE)),
        incomplete=Count("id", filter=Q(verdict=Screening.Verdict.INCOMPLETE)),
        drafts=Count("id", filter=Q(status=Screening.Status.DRAFT)),
        signed=Count("signature"),
        enrolled=Count("id", filter=Q(enrollment=E.ENROLLED)),
        declined=Count("id", filter=Q(enrollment=E.DECLINED) & meets),
        **{f"other_{reason}": Count("id", filter=Q(enrollment=reason) & meets) for reason in OTHER_REASONS},
    )
    other = [{"label": reason.label, "count": counts.pop(f"other_{reason}")} for reason in OTHER_REASONS]
    other_total = sum(item["count"] for item in other)
    counts["not_enrolled"] = other_total
    excluded = counts["excluded"] + counts["declined"] + other_total
    counts["consort"] = {
        "assessed": counts["screenings"],
        "excluded": excluded,
        "not_meeting_criteria": counts["excluded"],
        "declined": counts["declined"],
        "other_reasons": other_total,
        "other": [item for item in other if item["count"]],
        "enrolled": counts["enrolled"],
        "open": counts["screenings"] - excluded - counts["enrolled"],
    }
    counts["attrition"] = criterion_attrition(queryset)
    return counts


def criterion_attrition(queryset):
    """Per criterion: how many of the screenings failed it, and how many failed on it alone.

    One pass over the failures of the filtered screenings; a window counts each screening's failures.
    """
    screenings, params = queryset.order_by().values("pk").query.sql_with_params()
    table = CriterionOutcome._meta.db_table
    sql = f"""
        SELECT code, COUNT(*), COUNT(*) FILTER (WHERE failures = 1), MAX(summary), MIN("order")
        FROM (
            SELECT code, summary, "order", COUNT(*) OVER (PARTITION BY screening_id) AS failures
            FROM {table}
            WHERE status = 'not_met' AND screening_id IN ({screenings})
        ) AS failed
        GROUP BY code
        ORDER BY MIN("order"), code
    """
    # The only inputs are the ORM's own SQL for the filtered screenings and its parameters.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            {"code": code, "failed": failed, "alone": alone, "summary": summary, "order": order}
            for code, failed, alone, summary, order in cursor.fetchall()
        ]


def log_series(queryset, *, period):
    """Screenings, screen failures (an ineligible verdict) and enrollments per week or month, oldest first, in one
    query. Periods without a screening are absent; each row says its `unit` ("week": the Monday, or "month")."""
    unit = "week" if period == "week" else "month"
    trunc = TruncWeek if unit == "week" else TruncMonth
    rows = (
        queryset.order_by()
        .annotate(period=trunc("screening_date"))
        .values("period")
        .annotate(
            screened=Count("id"),
            failed=Count("id", filter=Q(verdict=Screening.Verdict.INELIGIBLE)),
            enrolled=Count("id", filter=Q(enrollment=Screening.Enrollment.ENROLLED)),
        )
        .order_by("period")
    )
    return [{**row, "unit": unit} for row in rows]


def criterion_choices():
    """Every criterion code of any criteria version, with a summary, for the failed-criterion filter."""
    return list(
        Criterion.objects.values("code")
        .annotate(summary=Max("summary"), order=Min("order"))
        .order_by("order", "code")
        .values_list("code", "summary")
    )
