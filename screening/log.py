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


def with_rows(queryset):
    """What each row of the log shows, in a fixed number of queries per page."""
    failed = CriterionOutcome.objects.filter(status="not_met").only("screening_id", "code", "summary", "order")
    return queryset.select_related("candidate", "coordinator", "signature").prefetch_related(
        Prefetch("outcomes", queryset=failed.order_by("order"), to_attr="failed_outcomes")
    )


def log_summary(queryset):
    """CONSORT-style counts for the filtered set: assessed, excluded (with each reason), eligible, signed, enrolled."""
    counts = queryset.aggregate(
        screenings=Count("id"),
        assessed=Count("id", filter=Q(status=Screening.Status.EVALUATED)),
        excluded=Count("id", filter=Q(verdict=Screening.Verdict.INELIGIBLE)),
        eligible=Count("id", filter=Q(verdict=Screening.Verdict.ELIGIBLE)),
        incomplete=Count("id", filter=Q(verdict=Screening.Verdict.INCOMPLETE)),
        drafts=Count("id", filter=Q(status=Screening.Status.DRAFT)),
        signed=Count("signature"),
        enrolled=Count("id", filter=Q(enrollment=Screening.Enrollment.ENROLLED)),
        declined=Count("id", filter=Q(enrollment=Screening.Enrollment.DECLINED)),
        not_enrolled=Count("id", filter=Q(enrollment=Screening.Enrollment.NOT_ENROLLED)),
    )
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
    """Screenings and screen failures per week or month, oldest first."""
    trunc = TruncWeek if period == "week" else TruncMonth
    return list(
        queryset.order_by()
        .annotate(period=trunc("screening_date"))
        .values("period")
        .annotate(screened=Count("id"), failed=Count("id", filter=Q(verdict=Screening.Verdict.INELIGIBLE)))
        .order_by("period")
    )


def criterion_choices():
    """Every criterion code of any criteria version, with a summary, for the failed-criterion filter."""
    return list(
        Criterion.objects.values("code")
        .annotate(summary=Max("summary"), order=Min("order"))
        .order_by("order", "code")
        .values_list("code", "summary")
    )
