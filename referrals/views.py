"""Pre-screening: coordinators record referrals, then start a screening or say why there was none."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from config.service_errors import add_service_errors
from referrals import selectors, services
from referrals.forms import ReferralCloseForm, ReferralForm, ReferralScreenForm
from referrals.models import Referral
from trials.selectors import trials_open_for_screening


@permission_required("referrals.view_referral", raise_exception=True)
def referral_list(request):
    context = {"open": selectors.referrals_open(), "closed": selectors.referrals_closed_recently()}
    return render(request, "referrals/list.html", context)


@permission_required("referrals.add_referral", raise_exception=True)
@require_http_methods(["GET", "POST"])
def referral_new(request):
    trial = trials_open_for_screening().first()
    if trial is None:
        messages.error(request, "No trial has an active criteria version yet; an administrator must publish one.")
        return redirect("referrals:list")
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_register(trial=trial, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Referral of {referral.candidate.screening_number} recorded.")
            return redirect("referrals:detail", pk=referral.pk)
    return render(request, "referrals/new.html", {"form": form, "trial": trial}, status=400 if form.errors else 200)


@permission_required("referrals.view_referral", raise_exception=True)
@require_http_methods(["GET", "POST"])
def referral_detail(request, pk):
    referral = get_object_or_404(Referral.objects.select_related("candidate", "screening", "referred_by"), pk=pk)
    close_form = ReferralCloseForm(request.POST if request.POST.get("action") == "close" else None)
    screen_form = ReferralScreenForm(request.POST if request.POST.get("action") == "screen" else None)
    if request.method == "POST":
        if not request.user.has_perm("referrals.change_referral"):
            raise PermissionDenied("Only coordinators close or screen a referral.")
        form = close_form if request.POST.get("action") == "close" else screen_form
        if form.is_valid():
            try:
                if form is close_form:
                    services.referral_close(referral=referral, user=request.user, **form.cleaned_data)
                    messages.success(request, "Referral closed.")
                    return redirect("referrals:detail", pk=referral.pk)
                screening = services.referral_start_screening(referral=referral, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{screening.number} started. Enter what the chart says.")
                return redirect("screening:edit", pk=screening.pk)
    context = {"referral": referral, "close_form": close_form, "screen_form": screen_form}
    bad = close_form.errors or screen_form.errors
    return render(request, "referrals/detail.html", context, status=400 if bad else 200)
