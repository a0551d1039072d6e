from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from patients.models import Candidate
from screening import services
from screening.forms import RescreenForm
from trials.selectors import trials_open_for_screening


@permission_required("patients.view_candidate", raise_exception=True)
def candidate_detail(request, pk):
    candidate = get_object_or_404(Candidate, pk=pk)
    screenings = candidate.screenings.select_related("coordinator", "criteria_version").order_by("-created_at")
    return render(
        request,
        "patients/candidate_detail.html",
        {"candidate": candidate, "screenings": screenings, "rescreen_form": RescreenForm()},
    )


@permission_required("screening.add_screening", raise_exception=True)
@require_POST
def candidate_rescreen(request, pk):
    """A new screening of the same candidate; earlier screenings stay exactly as they were."""
    candidate = get_object_or_404(Candidate, pk=pk)
    form = RescreenForm(request.POST)
    trial = trials_open_for_screening().first()
    if not form.is_valid() or trial is None:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("patients:detail", pk=candidate.pk)
    options = form.cleaned_data
    latest = candidate.screenings.order_by("-created_at").first() if options["copy_entries"] else None
    screening = services.screening_start(
        candidate=candidate,
        trial=trial,
        coordinator=request.user,
        cohort=options["cohort"],
        screening_date=options["screening_date"],
        copy_from=latest,
    )
    copied = (
        f" Copied from {latest.number} of {latest.screening_date}: histology, primary site, history answered yes, "
        "dated procedures and events, and prior therapy; check them against today's chart and add anything since. "
        'Asked again: the stage, weight, ECOG, neuropathy, lesions, medications, labs, attestations and any "None".'
        if latest
        else ""
    )
    messages.success(request, "New screening started; the earlier ones are unchanged." + copied)
    return redirect("screening:edit", pk=screening.pk)
