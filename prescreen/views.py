"""Pre-screen runs: start one from a bulk export, follow it, read its de-identified summary; for the roles that may
see identifiers, the ranked results, their export, and one click from a result to a prefilled draft screening.
Every look at a run and every export is recorded (PrescreenAccess)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.middleware import not_user_activity
from config.service_errors import add_service_errors
from ehr.models import EhrValue
from patients.models import Candidate
from prescreen import selectors, services
from prescreen.forms import PrescreenRunForm, ResultFilterForm
from prescreen.models import PrescreenAccess, PrescreenResult, PrescreenRun
from prescreen.partition import check_size, sources_from_uploads
from review.exports import csv_lines, neutralised
from trials.selectors import trials_open_for_screening

PAGE_SIZE = 50
RESULTS = ("prescreen.view_prescreen_results", "patients.view_identifiers")


def _may_see_results(user):
    return user.has_perms(RESULTS)


@permission_required("prescreen.view_prescreenrun", raise_exception=True)
@require_GET
def run_list(request):
    return render(request, "prescreen/list.html", {"runs": selectors.runs()[:100]})


@permission_required("prescreen.add_prescreenrun", raise_exception=True)
@require_http_methods(["GET", "POST"])
def run_new(request):
    trial = trials_open_for_screening().first()
    if trial is None:
        messages.error(request, "No trial has an active criteria version yet; an administrator must publish one.")
        return redirect("prescreen:list")
    form = PrescreenRunForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploads = form.cleaned_data["files"]
        try:
            check_size(sum(upload.size for upload in uploads))
            run = services.prescreen_start(
                user=request.user,
                trial=trial,
                sources=sources_from_uploads(uploads),
                reference_date=form.cleaned_data["reference_date"],
                cohort=form.cleaned_data["cohort"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Pre-screen run {run.pk} started: {run.patients_total:,} patients.")
            return redirect("prescreen:detail", pk=run.pk)
    return render(request, "prescreen/new.html", {"form": form, "trial": trial}, status=400 if form.errors else 200)


@permission_required("prescreen.view_prescreenrun", raise_exception=True)
@require_GET
def run_detail(request, pk):
    run = get_object_or_404(selectors.runs(), pk=pk)
    services.prescreen_access_record(run=run, user=request.user, action=PrescreenAccess.Action.VIEWED_SUMMARY)
    context = {
        "run": run,
        "standings": selectors.standing_counts(run),
        "funnel": selectors.funnel(run),
        "may_see_results": _may_see_results(request.user),
        "accesses": selectors.accesses(run)[:50] if request.user.has_perm("prescreen.change_prescreenrun") else None,
    }
    return render(request, "prescreen/detail.html", context)


@not_user_activity
@permission_required("prescreen.view_prescreenrun", raise_exception=True)
@require_GET
def run_progress(request, pk):
    """The progress bar, polled while the run goes on (not recorded: it shows counts only)."""
    return render(request, "prescreen/_progress.html", {"run": get_object_or_404(PrescreenRun, pk=pk)})


@permission_required("prescreen.add_prescreenrun", raise_exception=True)
@require_POST
def run_cancel(request, pk):
    run = get_object_or_404(PrescreenRun, pk=pk)
    try:
        services.prescreen_cancel(run=run, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Pre-screen run {run.pk} cancelled: the patients already done are kept.")
    return redirect("prescreen:detail", pk=pk)


def _results_of(request, run):
    if not _may_see_results(request.user):
        raise PermissionDenied
    criteria = selectors.run_criteria(run)
    form = ResultFilterForm(request.GET or None, criteria=criteria)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {key: value for key, value in filters.items() if value}
    return form, filters, selectors.results(run, **filters)


@require_GET
def run_results(request, pk):
    run = get_object_or_404(selectors.runs(), pk=pk)
    form, filters, rows = _results_of(request, run)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    services.prescreen_access_record(
        run=run,
        user=request.user,
        action=PrescreenAccess.Action.VIEWED_RESULTS,
        detail={"filters": filters, "page": page.number, "rows": len(page.object_list)},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "prescreen/results.html",
        {"run": run, "form": form, "page": page, "query": query.urlencode(), "filtered": bool(filters)},
    )


EXPORT_HEADER = [
    "Rank",
    "Name",
    "Medical record number",
    "Date of birth",
    "Sex",
    "Standing",
    "Criteria failed",
    "Criteria not decided",
    "To collect from the chart",
    "To ask at the visit",
    "Problem",
    "Screening",
]


@require_GET
def run_export(request, pk):
    run = get_object_or_404(selectors.runs(), pk=pk)
    _, filters, rows = _results_of(request, run)
    services.prescreen_access_record(
        run=run, user=request.user, action=PrescreenAccess.Action.EXPORTED, detail={"filters": filters}
    )
    response = StreamingHttpResponse(csv_lines(_export_rows(rows), EXPORT_HEADER), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="prescreen-run-{run.pk}.csv"'
    return response


def _export_rows(rows):
    for rank, row in enumerate(rows.iterator(chunk_size=1000), start=1):
        values = [
            rank,
            row.name,
            row.mrn,
            row.birth_date.isoformat() if row.birth_date else "",
            row.get_sex_display(),
            row.get_standing_display(),
            "; ".join(f"{item['code']}: {item['reason']}" for item in row.failed),
            "; ".join(item["code"] for item in row.unknown),
            "; ".join(row.to_collect),
            "; ".join(row.to_ask),
            row.problem,
            row.screening.number if row.screening else "",
        ]
        yield [neutralised(value) for value in values]


@permission_required("prescreen.view_prescreen_results", raise_exception=True)
@require_POST
def result_screen(request, pk):
    """One click: the result's patient becomes a candidate with a draft screening prefilled from their records."""
    result = get_object_or_404(PrescreenResult.objects.select_related("run"), pk=pk)
    if not (
        _may_see_results(request.user) and request.user.has_perms(["patients.add_candidate", "screening.add_screening"])
    ):
        raise PermissionDenied
    try:
        screening = services.prescreen_result_screen(result=result, user=request.user)
    except ValidationError as error:
        messages.error(request, "No screening was made: " + " ".join(error.messages))
        return redirect(f"{reverse('prescreen:results', args=[result.run_id])}#result-{result.pk}")
    prefilled = EhrValue.objects.filter(screening=screening, use=EhrValue.Use.PREFILLED).count()
    unrecorded = "" if screening.candidate.mrn or not result.mrn else " Enter the site's record number: the export's "
    if unrecorded:
        unrecorded += (
            f"is longer than the {Candidate._meta.get_field('mrn').max_length} characters a candidate's holds."
        )
    messages.success(
        request,
        f"{screening.number} is ready as a draft: {prefilled} value{'s' if prefilled != 1 else ''} prefilled from the "
        "records as of today (older ones are offered beside their fields). Check each section and confirm it."
        + unrecorded,
    )
    return redirect("screening:edit", pk=screening.pk)
