import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.lockout import password_attempt_failed, password_attempt_refused
from config.middleware import not_user_activity
from config.service_errors import add_service_errors
from ehr.selection import SECTION_NAMES
from patients.selectors import candidate_search
from review import exports
from screening import reports, selectors, services
from screening.audit import audit_entries, changes_since
from screening.facts import derived_labs
from screening.forms import (
    EnrollmentChangeForm,
    EnrollmentForm,
    NewCandidateForm,
    ScreeningEntry,
    SignForm,
    input_anchor,
)
from screening.models import PriorTherapy, Report, Screening
from screening.pdf import CONTENT_TYPE, render_audit_trail
from screening.signing import record_hash, verify
from trials.ruleset import ruleset_for_version, screening_form_vocabulary
from trials.selectors import trials_open_for_screening


@permission_required("screening.view_screening", raise_exception=True)
def screening_home(request):
    query = request.GET.get("q", "")
    return render(
        request,
        "screening/home.html",
        {
            "query": query,
            "candidates": candidate_search(user=request.user, query=query),
            "recent": selectors.screenings_recent(user=request.user),
        },
    )


@permission_required("screening.add_screening", raise_exception=True)
@require_http_methods(["GET", "POST"])
def screening_new(request):
    trial = trials_open_for_screening().first()
    if trial is None:
        messages.error(request, "No trial has an active criteria version yet; an administrator must publish one.")
        return redirect("screening:home")
    form = NewCandidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            screening = services.screening_register(trial=trial, coordinator=request.user, **form.cleaned_data)
        except ValidationError as error:  # someone registered the same person or record number meanwhile
            add_service_errors(form, error)
        else:
            messages.success(request, f"{screening.number} registered. Enter what the chart says.")
            return redirect("screening:edit", pk=screening.pk)
    return render(request, "screening/new.html", {"form": form, "trial": trial})


@permission_required("screening.change_screening", raise_exception=True)
@require_http_methods(["GET", "POST"])
def screening_edit(request, pk):
    # A POST carries every row, so only the form page needs the stored ones.
    select = selectors.screening_for_evaluation if request.method == "GET" else selectors.screening_for_entry
    screening = _screening_or_404(select, pk)
    if screening.is_signed:
        messages.error(request, "This screening is signed and locked. To change anything, start a correction.")
        return redirect("screening:detail", pk=screening.pk)
    ruleset, analytes = screening_form_vocabulary(screening.criteria_version)
    entry = ScreeningEntry(screening, ruleset, analytes, request.POST if request.method == "POST" else None)
    context = {"screening": screening, "entry": entry, "newer_version": selectors.version_replacing(screening)}
    if request.method == "POST":
        if entry.is_valid():
            had_verdict = screening.status == Screening.Status.EVALUATED
            evaluate = request.POST.get("action") == "evaluate"
            unconfirmed = []
            try:
                try:
                    services.screening_update(screening=screening, evaluate=evaluate, **entry.service_arguments())
                except services.EhrNotConfirmed as waiting:
                    # What the coordinator typed is saved either way; the evaluation waits for the confirmation.
                    unconfirmed, evaluate = waiting.sections, False
                    services.screening_update(screening=screening, evaluate=False, **entry.service_arguments())
            except services.StaleEdit as stale:
                return _stale_edit(request, screening, ruleset, analytes, stale)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("screening:detail", pk=screening.pk)
            if evaluate:
                return redirect("screening:detail", pk=screening.pk)
            if unconfirmed:
                names = ", ".join(SECTION_NAMES[section] for section in unconfirmed)
                messages.error(
                    request, f"Draft saved, not evaluated: confirm the values prefilled from the EHR first ({names})."
                )
                return redirect(reverse("screening:edit", args=[screening.pk]) + "#ehr")
            cleared = (
                " The earlier verdict no longer holds: choose Save and evaluate for a new one." if had_verdict else ""
            )
            messages.success(request, "Draft saved." + cleared)
            return redirect("screening:edit", pk=screening.pk)
        messages.error(request, "Nothing was saved: correct the fields marked below.")
    return render(request, "screening/edit.html", context)


def _stale_edit(request, screening, ruleset, analytes, stale):
    """Someone saved since this form was opened: nothing of it was saved. The page shows what they changed and keeps
    what this coordinator typed, now at the current revision, to check against theirs and save again."""
    screening = selectors.screening_for_entry(pk=screening.pk)
    data = request.POST.copy()
    data["revision"] = screening.revision
    entry = ScreeningEntry(screening, ruleset, analytes, data)
    entry.is_valid()
    context = {
        "screening": screening,
        "entry": entry,
        "stale": True,
        "changed_since": changes_since(screening, stale.opened, user=request.user),
    }
    return render(request, "screening/edit.html", context, status=409)


@permission_required("screening.view_screening", raise_exception=True)
@require_GET
def screening_detail(request, pk):
    screening = _screening_or_404(selectors.screening_with_outcomes, pk)
    outcomes = list(screening.outcomes.all())
    missing = {}
    for outcome in outcomes:
        for item in outcome.missing:
            missing.setdefault((item["field"], item["label"]), []).append(outcome.code)
    return render(
        request,
        "screening/detail.html",
        {
            "screening": screening,
            "outcomes": outcomes,
            "failed": [o for o in outcomes if o.status == "not_met"],
            "missing": [
                {"label": label, "anchor": input_anchor(field), "codes": codes}
                for (field, label), codes in missing.items()
            ],
            "can_edit": request.user.has_perm("screening.change_screening") and not screening.is_signed,
            "signature": getattr(screening, "signature", None),
            "verification": verify(screening) if screening.is_signed else None,
            "sign_form": SignForm() if _may_sign(request.user, screening) else None,
            "enrollment_form": _enrollment_form(request.user, screening),
            "reports": reports.reports_marked(
                screening, screening.reports.select_related("requested_by").order_by("-created_at")[:10]
            ),
            "derived": derived_labs(screening, ruleset_for_version(screening.criteria_version)),
            "newer_version": selectors.version_replacing(screening),
        },
    )


def _may_sign(user, screening):
    return (
        user.has_perm("screening.sign_screening")
        and not screening.is_signed
        and screening.status == Screening.Status.EVALUATED
        and screening.verdict != Screening.Verdict.INCOMPLETE
        and not selectors.screening_entered_by(screening=screening, user=user)
    )


def _enrollment_form(user, screening):
    """The outcome form with the outcomes this screening can have now, for those who record outcomes."""
    if not user.has_perm("screening.record_enrollment"):
        return None
    choices = services.screening_outcome_choices(screening=screening)
    return (EnrollmentChangeForm if screening.enrollment else EnrollmentForm)(choices=choices)


@permission_required("screening.sign_screening", raise_exception=True)
@require_http_methods(["GET", "POST"])
def screening_sign(request, pk):
    """The sign form, beside exactly what is signed; the form carries the fingerprint of what it showed."""
    screening = _screening_or_404(selectors.screening_with_outcomes, pk)
    if screening.is_signed:
        messages.error(request, "This screening is already signed.")
        return redirect("screening:detail", pk=screening.pk)
    # A screening that cannot be signed as it is gets no sign form at all, only the reason.
    if refusal := services.screening_sign_refusal(screening=screening, signer=request.user):
        context = _sign_context(screening) | {"refusal": refusal}
        return render(request, "screening/sign.html", context, status=400 if request.method == "POST" else 200)
    form = SignForm(request.POST or None, initial={"reviewed": record_hash(screening)})
    if request.method == "POST" and form.is_valid():
        # Re-entering the password counts as a login attempt: locked here and at the login page alike.
        if refused := password_attempt_refused(request):
            return refused
        try:
            services.screening_sign(
                screening=screening,
                signer=request.user,
                password=form.cleaned_data["password"],
                meaning=form.cleaned_data["meaning"],
                comment=form.cleaned_data["comment"],
                reviewed_hash=form.cleaned_data["reviewed"],
            )
        except ValidationError as error:
            if "password" in getattr(error, "error_dict", {}):
                password_attempt_failed(request, sender=__name__)
            # What is shown now is what a new attempt would sign.
            screening = _screening_or_404(selectors.screening_with_outcomes, pk)
            data = request.POST.copy()
            data["reviewed"] = record_hash(screening)
            form = SignForm(data)
            form.is_valid()
            add_service_errors(form, error)
        else:
            messages.success(request, "Signed. The screening is now locked.")
            return redirect("screening:detail", pk=screening.pk)
    context = _sign_context(screening) | {"form": form}
    return render(request, "screening/sign.html", context, status=400 if form.errors else 200)


def _sign_context(screening):
    """What the sign page shows of the screening: exactly what a signature covers."""
    return {
        "screening": screening,
        "outcomes": list(screening.outcomes.all()),
        "derived": derived_labs(screening, ruleset_for_version(screening.criteria_version)),
    }


@permission_required("screening.record_enrollment", raise_exception=True)
@require_POST
def screening_enrollment(request, pk):
    """Records the enrollment outcome after sign-off; a recorded one changes only with the reason (audited)."""
    screening = _screening_or_404(selectors.screening_with_outcomes, pk)
    form = (EnrollmentChangeForm if screening.enrollment else EnrollmentForm)(request.POST)
    if form.is_valid():
        try:
            services.screening_record_enrollment(screening=screening, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Outcome recorded.")
    else:
        messages.error(request, " ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items()))
    return redirect("screening:detail", pk=screening.pk)


@permission_required("screening.change_screening", raise_exception=True)
@require_POST
def screening_correct(request, pk):
    """A signed screening is never changed; a correction is a new screening that refers to it."""
    screening = _screening_or_404(selectors.screening_for_evaluation, pk)
    try:
        correction = services.screening_start_correction(screening=screening, coordinator=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("screening:detail", pk=screening.pk)
    messages.success(request, "Correction started with every entry of the signed screening; change what was wrong.")
    return redirect("screening:edit", pk=correction.pk)


@permission_required("screening.view_audit_trail", raise_exception=True)
@require_GET
def screening_audit(request, pk):
    screening = _screening_or_404(selectors.screening_with_outcomes, pk)
    context = {
        "screening": screening,
        "entries": audit_entries(screening, user=request.user),
        "verification": verify(screening) if screening.is_signed else None,
    }
    return render(request, "screening/audit.html", context)


AUDIT_COLUMNS = ["when_utc", "when_site_time", "who", "role", "action", "what", "field", "old", "new", "why"]


@permission_required("screening.view_audit_trail", raise_exception=True)
@require_GET
def screening_audit_export(request, pk, file_format):
    """The audit trail as a monitor takes it away: CSV (one line per changed field) or PDF."""
    screening = _screening_or_404(selectors.screening_with_outcomes, pk)
    entries = audit_entries(screening, user=request.user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"audit-trail-{screening.number}-{stamp}.{file_format}"
    if file_format == "pdf":
        pdf = render_audit_trail(
            screening,
            entries,
            verification=verify(screening) if screening.is_signed else None,
            generated_by=request.user,
            generated_at=timezone.now(),
        )
        response = HttpResponse(pdf, content_type=CONTENT_TYPE)
    else:
        response = HttpResponse(
            "".join(exports.csv_lines(_audit_rows(entries), AUDIT_COLUMNS)), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store, private"
    return response


def _audit_rows(entries):
    utc = datetime.UTC
    for entry in entries:
        when = [
            entry["when"].astimezone(utc).strftime("%Y-%m-%d %H:%M:%S"),
            timezone.localtime(entry["when"]).strftime("%Y-%m-%d %H:%M:%S"),
        ]
        who = [entry["who"], entry["role"], entry["action"], f"{entry['kind']}: {entry['object']}"]
        for label, old, new in entry["changes"] or [("", "", "")]:
            yield [exports.neutralised(value) for value in (*when, *who, label, old, new, entry["why"])]


MATCHED_TEXT_MAX = PriorTherapy._meta.get_field("agents").max_length


@permission_required("screening.change_screening", raise_exception=True)
@require_POST
def screening_move_version(request, pk):
    """Moves an open screening off a retired criteria version to the active one (evaluated again if it was)."""
    screening = _screening_or_404(selectors.screening_for_evaluation, pk)
    try:
        moved = services.screening_move_to_active_version(screening=screening, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        again = " and evaluated again" if moved.status == Screening.Status.EVALUATED else ""
        messages.success(request, f"{moved.number} is now on {moved.criteria_version.label}{again}.")
    return redirect("screening:detail", pk=screening.pk)


@permission_required("screening.change_screening", raise_exception=True)
@require_GET
def medication_match(request, pk):
    """What a medication line, or each agent of a prior regimen, matches while the coordinator types it; a word that
    matches nothing gets the names it may be a misspelling of, which the coordinator can accept with one click."""
    screening = get_object_or_404(Screening.objects.select_related("criteria_version"), pk=pk)
    agents = request.GET.get("kind") == "agents"
    field = "agents" if agents else "name"
    # No longer than the field itself: a long text would only make the matching slow.
    text = next((v for k, v in request.GET.items() if k.endswith(f"-{field}")), "")[:MATCHED_TEXT_MAX].strip()
    vocabulary = ruleset_for_version(screening.criteria_version).vocabulary
    parts = [a.strip() for a in text.split(",") if a.strip()] if agents else ([text] if text else [])
    match = vocabulary.matcher.match_agent if agents else vocabulary.matcher.match
    lines = []
    for part in parts:
        found = [
            {
                "drug": m.drug.generic_name,
                "via": m.matched_name,
                "classes": [vocabulary.drug_classes[c] for c in sorted(m.drug.classes)],
            }
            for m in match(part)
        ]
        lines.append({"text": part, "found": found, "suggestions": vocabulary.matcher.suggest(part)})
    return render(request, "screening/_medication_match.html", {"lines": lines, "agents": agents})


@require_GET
def keepalive(request):
    """Called while a coordinator types on the screening form: activity that keeps the session alive."""
    return HttpResponse(status=204)


def _screening_or_404(select, pk):
    try:
        return select(pk=pk)
    except Screening.DoesNotExist:
        raise Http404("No such screening") from None


@permission_required("screening.view_screening", raise_exception=True)
@require_POST
def report_create(request, pk):
    screening = _screening_or_404(selectors.screening_with_outcomes, pk)
    reports.report_request(screening=screening, user=request.user)
    messages.success(request, "The PDF report is queued; its link appears below when it is ready.")
    return redirect(f"{reverse('screening:detail', args=[screening.pk])}#reports")


@not_user_activity
@permission_required("screening.view_screening", raise_exception=True)
@require_GET
def report_status(request, report_id):
    """Polled by the result page until the report is ready or has failed."""
    report = reports.report_marked(get_object_or_404(Report, pk=report_id))
    return render(request, "screening/_report_row.html", {"report": report})


@permission_required("screening.retry_report", raise_exception=True)
@require_GET
def reports_attention(request):
    """Administrators: failed reports and reports waiting too long, each with the reason and a Retry button."""
    page = Paginator(selectors.reports_needing_attention(), 50).get_page(request.GET.get("page"))
    context = {"page": page, "stuck_minutes": settings.REPORT_STUCK_AFTER_SECONDS // 60}
    return render(request, "screening/reports_attention.html", context)


@permission_required("screening.retry_report", raise_exception=True)
@require_POST
def report_retry(request, report_id):
    report = get_object_or_404(Report, pk=report_id)
    if reports.report_retry(report=report):
        messages.success(request, f"Report {report.pk} of {report.screening.number} is queued again.")
    else:
        messages.info(request, f"Report {report.pk} is already done.")
    return redirect("screening:reports_attention")


@permission_required("screening.view_screening", raise_exception=True)
@require_GET
def report_download(request, report_id):
    report = get_object_or_404(Report, pk=report_id, status=Report.Status.DONE)
    try:
        file = report.file.open("rb")
    except FileNotFoundError:
        # The file was lost (a restored disk, a clean-up): generate it again, and say so.
        reports.report_regenerate(report=report)
        raise Http404("The file of this report is missing; it is being generated again.") from None
    response = FileResponse(file, as_attachment=True, filename=report.file.name.rsplit("/", 1)[-1])
    response["Content-Type"] = "application/pdf"
    response["Cache-Control"] = "no-store, private"
    return response
