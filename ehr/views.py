"""The import on the entry form: upload a FHIR export, then confirm each section it prefilled."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from ehr import services
from ehr.forms import EhrImportForm
from ehr.selection import SECTION_NAMES
from screening.models import Screening


@permission_required("screening.change_screening", raise_exception=True)
@require_POST
def ehr_import(request, pk):
    screening = get_object_or_404(Screening.objects.select_related("candidate", "criteria_version"), pk=pk)
    form = EhrImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Nothing was imported: choose a FHIR Bundle or NDJSON file.")
        return redirect("screening:edit", pk=pk)
    uploads = form.cleaned_data["file"]
    try:
        services.check_size(sum(upload.size for upload in uploads))  # before anything is read into memory
        record = services.ehr_import(
            screening=screening, user=request.user, files=[(u.name, u.read()) for u in uploads]
        )
    except ValidationError as error:
        messages.error(request, "Nothing was imported: " + " ".join(error.messages))
    else:
        prefilled = record.values.filter(use="prefilled").count()
        messages.success(
            request,
            f"Imported {record.description}: {prefilled} value{'s' if prefilled != 1 else ''} prefilled. Check each "
            "section and confirm it before evaluating.",
        )
    return redirect("screening:edit", pk=pk)


@permission_required("screening.change_screening", raise_exception=True)
@require_POST
def ehr_confirm(request, pk, section):
    screening = get_object_or_404(Screening, pk=pk)
    if section not in SECTION_NAMES:
        messages.error(request, "There is no such section.")
    else:
        try:
            services.ehr_section_confirm(screening=screening, section=section, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{SECTION_NAMES[section]}: the EHR values are confirmed.")
    return redirect(f"{reverse('screening:edit', args=[pk])}#ehr-{section}")
