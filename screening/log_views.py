"""The screen-fail log for investigators and administrators: filters, sponsor-report counts, trend, exports."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from screening import exports, log
from screening.forms import LogFilterForm
from screening.models import DataExport
from trials import roles

PAGE_SIZE = 50


def _filters(request):
    form = LogFilterForm(
        request.GET or None,
        criteria=log.criterion_choices(),
        coordinators=get_user_model().objects.filter(groups__name=roles.COORDINATOR).order_by("last_name", "username"),
    )
    cleaned = form.cleaned_data if form.is_valid() else {}
    return form, cleaned


@permission_required("screening.view_screen_fail_log", raise_exception=True)
@require_GET
def screen_fail_log(request):
    form, filters = _filters(request)
    screenings = log.log_screenings(filters=filters)
    page = Paginator(log.with_rows(screenings), PAGE_SIZE).get_page(request.GET.get("page"))
    series = log.log_series(screenings, period=filters.get("period") or "month")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "screening/log.html",
        {
            "form": form,
            "page": page,
            "summary": log.log_summary(screenings),
            "chart": _chart(series),
            "query": query.urlencode(),
        },
    )


def _chart(series, height=120):
    """Bars for an SVG drawn by the template: no chart library, nothing to load from elsewhere."""
    tallest = max((point["screened"] for point in series), default=0) or 1
    width = 28
    bars = []
    for index, point in enumerate(series):
        screened = round(point["screened"] / tallest * height)
        failed = round(point["failed"] / tallest * height)
        bars.append(
            {
                "x": index * width + 4,
                "label": point["period"].strftime("%Y-%m-%d"),
                "short_label": point["period"].strftime("%m/%y"),
                "screened": point["screened"],
                "failed": point["failed"],
                "screened_height": screened,
                "screened_y": height - screened,
                "failed_height": failed,
                "failed_y": height - failed,
            }
        )
    return {"width": max(len(series) * width, width) + 8, "height": height, "label_y": height + 14, "bars": bars}


@permission_required("screening.view_screen_fail_log", raise_exception=True)
@require_GET
def screen_fail_log_export(request, file_format):
    """De-identified for anyone who reads the log; a limited or identified data set only for administrators, and each
    such export is recorded: who, when, which data set, which filters."""
    data_set = (
        exports.IDENTIFIED
        if request.GET.get("identified") == "1"
        else exports.LIMITED
        if request.GET.get("limited") == "1"
        else exports.DEIDENTIFIED
    )
    if data_set != exports.DEIDENTIFIED and not request.user.has_perm("screening.export_identified"):
        raise PermissionDenied("Only administrators may export a limited or identified data set.")
    _, filters = _filters(request)
    screenings = log.with_rows(log.log_screenings(filters=filters)).select_related("criteria_version")
    header = exports.columns(data_set)
    rows = exports.export_rows(screenings, data_set=data_set)
    if data_set != exports.DEIDENTIFIED:
        DataExport.objects.create(
            exported_by=request.user,
            file_format=file_format,
            data_set=data_set,
            filters={k: str(v) for k, v in filters.items() if v not in (None, "")},
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"screen-fail-log-{data_set}-{stamp}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(exports.csv_lines(rows, header), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(
        exports.xlsx_file(rows, header),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@permission_required("screening.export_identified", raise_exception=True)
@require_GET
def identified_exports(request):
    """The record of every limited or identified export: who took it, when, which data set and which filters."""
    records = DataExport.objects.select_related("exported_by").order_by("-exported_at")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "screening/exports.html", {"page": page})
