"""The review of a draft criteria version before it is published: the diff, the impact, and the signed publication."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.lockout import password_attempt_failed, password_attempt_refused
from amendments import selectors, services
from amendments.forms import PublishForm
from amendments.models import ImpactPreview
from config.middleware import not_user_activity
from config.service_errors import add_service_errors
from trials import services as trial_services
from trials.models import CriteriaVersion

PUBLISH = "trials.publish_criteriaversion"


def _draft_or_redirect(request, pk):
    version = get_object_or_404(CriteriaVersion.objects.select_related("trial", "derived_from"), pk=pk)
    if version.status != CriteriaVersion.Status.DRAFT:
        messages.info(
            request, f"{version.label} is {version.get_status_display().lower()}: there is nothing to review."
        )
        return version, redirect("admin:trials_criteriaversion_change", version.pk)
    return version, None


@permission_required(PUBLISH, raise_exception=True)
@require_http_methods(["GET", "POST"])
def amendment_review(request, pk):
    """GET: the draft against the active version, its problems, its impact and the publish form. POST: publish."""
    version, away = _draft_or_redirect(request, pk)
    if away:
        return away
    review = selectors.amendment_review(version=version)
    form = PublishForm(request.POST or None, initial={"reviewed": review.draft_hash})
    if request.method == "POST" and form.is_valid():
        if refused := password_attempt_refused(request):
            return refused
        try:
            trial_services.criteria_version_publish(
                version=version,
                publisher=request.user,
                password=form.cleaned_data["password"],
                reviewed_hash=form.cleaned_data["reviewed"],
                irb_approved_on=form.cleaned_data["irb_approved_on"],
                effective_date=form.cleaned_data["effective_date"],
            )
        except ValidationError as error:
            if "password" in getattr(error, "error_dict", {}):
                password_attempt_failed(request, sender=__name__)
            add_service_errors(form, error)
        else:
            messages.success(request, f"{version.label} is published and in effect: new screenings use it.")
            return redirect("admin:trials_criteriaversion_change", version.pk)
    status = 400 if form.errors else 200
    return render(
        request, "amendments/review.html", {"version": version, "review": review, "form": form}, status=status
    )


@permission_required(PUBLISH, raise_exception=True)
@require_POST
def impact_preview_start(request, pk):
    version, away = _draft_or_redirect(request, pk)
    if away:
        return away
    services.impact_preview_request(version=version, user=request.user)
    messages.info(request, "The impact preview is running: this page shows its progress.")
    return redirect("amendments:review", version.pk)


@permission_required(PUBLISH, raise_exception=True)
@require_GET
@not_user_activity
def impact_preview_status(request, preview_id):
    """The preview's progress or result, polled by the review page while it runs."""
    preview = get_object_or_404(ImpactPreview.objects.select_related("version"), pk=preview_id)
    return render(request, "amendments/_impact.html", {"preview": preview, "current": True})
