"""The screen-fail log for investigators and administrators: filters, sponsor-report counts, trend, exports."""

import math
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from referrals.selectors import referral_flow
from review import exports, log
from review.forms import LogFilterForm
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
        "review/log.html",
        {
            "form": form,
            "page": page,
            "summary": log.log_summary(screenings)
            | {"referrals": referral_flow(date_from=filters.get("date_from"), date_to=filters.get("date_to"))},
            "chart": _chart(series),
            "query": query.urlencode(),
        },
    )


# The trend chart: an SVG drawn here and by the template, no chart library and nothing loaded from elsewhere. The
# drawing is in viewBox units; the stylesheet scales it to the container (400 px at the least).
CHART_WIDTH, CHART_HEIGHT = 640, 260
CHART_MARGIN = {"top": 14, "right": 24, "bottom": 46, "left": 44}
CHART_MIN_SLOT = 5  # viewBox units per period: a longer range widens the chart, which then scrolls
CHART_FONT = 13  # the axis labels' font size, in viewBox units (app.css)
CHART_SERIES = (  # key, singular, plural, class
    ("screened", "screening", "screenings", "bar-screened"),
    ("failed", "screen-fail", "screen-fails", "bar-failed"),
    ("enrolled", "enrolled", "enrolled", "bar-enrolled"),
)
# Labels on every n-th period, n the first of these that leaves room: weeks by the month, quarter, half-year, year.
LABEL_STEPS = {"week": (1, 2, 4, 8, 13, 26, 52), "month": (1, 2, 3, 6, 12)}


def _periods(series, unit):
    """Every period from the first to the last, with zeros where nothing was screened: the axis is time."""
    counts = {point["period"]: point for point in series}
    day, last = series[0]["period"], series[-1]["period"]
    while day <= last:
        point = counts.get(day, {})
        yield day, {key: point.get(key, 0) for key, *_ in CHART_SERIES}
        if unit == "week":
            day += timedelta(days=7)
        else:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _ticks(tallest, most=5):
    """Round tick values from 0 up to `tallest` or just above: a step of 1, 2 or 5 times a power of ten, at most
    `most` intervals."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if math.ceil(tallest / step) <= most:
                return list(range(0, math.ceil(tallest / step) * step + 1, step))
        magnitude *= 10


def _plural(count, singular, plural):
    return f"{count} {singular if count == 1 else plural}"


def _chart(series, period=None):
    """The trend of the filtered screenings per week or month: screenings, screen-fails (an ineligible verdict) and
    enrollments side by side in each period, on a y axis of round counts with gridlines, the periods labelled below
    (thinned out so that labels never overlap), every bar with its tooltip, an aria-label that sums it up and the
    same numbers as a table. `bars` holds the periods. None of it when there is nothing to chart."""
    unit = period or (series[0]["unit"] if series else None)
    if not series:
        return {"unit": unit, "bars": []}
    periods = list(_periods(series, unit))
    left, top, right, bottom = (CHART_MARGIN[side] for side in ("left", "top", "right", "bottom"))
    plot_width = max(CHART_WIDTH - left - right, len(periods) * CHART_MIN_SLOT)
    width, height = left + plot_width + right, CHART_HEIGHT
    plot_height = height - top - bottom
    baseline = top + plot_height
    slot = plot_width / len(periods)
    bar_width = min(slot * 0.8 / len(CHART_SERIES), 24)

    ticks = _ticks(max(counts["screened"] for _, counts in periods) or 1)
    scale = plot_height / ticks[-1]

    def y(value):
        return round(baseline - value * scale, 1)

    # Label width in viewBox units: about 0.6 em a character, and a gap.
    label_chars = 6 if unit == "week" else 4  # "29 Mar" / "2026" over "Mar"
    needed = (label_chars * CHART_FONT * 0.6 + 8) / slot
    every = next((step for step in LABEL_STEPS[unit] if step >= needed), math.ceil(needed))

    bars, year_shown = [], None
    for index, (day, counts) in enumerate(periods):
        name = f"{day:%B} {day.year}" if unit == "month" else f"Week of {day.day} {day:%b} {day.year}"
        x = left + index * slot
        first = x + (slot - bar_width * len(CHART_SERIES)) / 2
        rects = [
            {
                "css": css,
                "x": round(first + number * bar_width, 1),
                "y": y(counts[key]),
                "width": round(bar_width, 1),
                "height": round(counts[key] * scale, 1),
                "title": f"{name}: {_plural(counts[key], singular, plural)}",
            }
            for number, (key, singular, plural, css) in enumerate(CHART_SERIES)
        ]
        show = index % every == 0
        year = str(day.year) if show and (unit == "month" or day.year != year_shown) else ""
        if year:
            year_shown = day.year
        bars.append(
            {
                "label": day.isoformat(),
                "name": name,
                "short_label": f"{day:%b}" if unit == "month" else f"{day.day} {day:%b}",
                "year_label": year,
                "show_label": show,
                "x": round(x, 1),
                "slot_width": round(slot, 1),
                "label_x": round(x + slot / 2, 1),
                "title": name + ": " + ", ".join(_plural(counts[k], s, p) for k, s, p, _ in CHART_SERIES),
                "rects": rects,
                **counts,
            }
        )

    totals = {key: sum(counts[key] for _, counts in periods) for key, *_ in CHART_SERIES}
    busiest = max(bars, key=lambda bar: bar["screened"])
    summary = (
        f"Bar chart of screenings, screen-fails and enrolled per {unit}, {bars[0]['name']} to {bars[-1]['name']}"
        f" ({_plural(len(bars), unit, unit + 's')}). In all: "
        + ", ".join(_plural(totals[k], s, p) for k, s, p, _ in CHART_SERIES)
        + f". Most screenings in one {unit}: {busiest['screened']}, {busiest['name']}. The table gives every {unit}."
    )
    return {
        "unit": unit,
        "width": round(width),
        "height": height,
        "fits": width == CHART_WIDTH,  # scaled to the container; a wider one keeps its size and scrolls
        "plot": {
            "left": left,
            "right": left + round(plot_width),
            "top": top,
            "bottom": baseline,
            "height": plot_height,
            "middle": -(top + plot_height / 2),  # the y axis title's x once turned a quarter left
        },
        "ticks": [{"value": value, "y": y(value)} for value in ticks],
        "label_y": baseline + CHART_FONT + 6,
        "year_y": baseline + 2 * CHART_FONT + 8,
        "bars": bars,
        "totals": totals,
        "summary": summary,
        "series": [
            {"key": "screened", "legend": "screenings"},
            {"key": "failed", "legend": "screen-fails (not eligible)"},
            {"key": "enrolled", "legend": "enrolled"},
        ],
    }


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
    screenings = log.log_screenings(filters=filters)
    header = exports.columns(data_set)
    rows = exports.export_rows(
        log.with_rows(screenings, missing=True).select_related("criteria_version"), data_set=data_set
    )
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
    legend = (exports.LEGEND_TITLE, exports.LEGEND_COLUMNS, exports.legend_rows(screenings), exports.LEGEND_WIDTHS)
    return FileResponse(
        exports.xlsx_file(rows, header, sheets=[legend]),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@permission_required("screening.view_screen_fail_log", raise_exception=True)
@require_GET
def screen_fail_log_legend(request):
    """The criteria legend as CSV (the XLSX has it as a second sheet): the criteria of the versions that the filtered
    screenings used. The trial's criteria, nothing about a candidate: not recorded as an export."""
    _, filters = _filters(request)
    rows = exports.legend_rows(log.log_screenings(filters=filters))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        exports.csv_lines(rows, exports.LEGEND_COLUMNS), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="screen-fail-log-criteria-legend-{stamp}.csv"'
    return response


@permission_required("screening.export_identified", raise_exception=True)
@require_GET
def identified_exports(request):
    """The record of every limited or identified export: who took it, when, which data set and which filters."""
    records = DataExport.objects.select_related("exported_by").order_by("-exported_at")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/exports.html", {"page": page})
