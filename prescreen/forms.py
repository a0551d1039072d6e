from django import forms
from django.utils import timezone

from ehr.forms import MultipleFileField, MultipleFileInput
from prescreen.models import PrescreenResult
from screening.rules.engine import COHORTS
from screening.rules.outcomes import STATUS_LABELS


class PrescreenRunForm(forms.Form):
    files = MultipleFileField(
        label="Bulk export",
        widget=MultipleFileInput(attrs={"accept": ".ndjson,.zip,application/fhir+ndjson,application/zip"}),
        help_text="The NDJSON files of a FHIR bulk export (Patient.ndjson, Observation.ndjson, ...), or one zip of "
        "them.",
    )
    reference_date = forms.DateField(
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The criteria are decided as if each patient were screened on this day.",
    )
    cohort = forms.ChoiceField(choices=list(COHORTS.items()), initial="phase2")

    def clean_files(self):
        files = self.cleaned_data["files"]
        wrong = [f.name for f in files if not f.name.lower().endswith((".ndjson", ".zip"))]
        if wrong:
            raise forms.ValidationError(f"Only .ndjson files or one .zip: {', '.join(wrong)[:200]} is not.")
        return files


SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class ResultFilterForm(forms.Form):
    standing = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any"), *PrescreenResult.Standing.choices],
        widget=SELECT,
    )
    criterion = forms.ChoiceField(required=False, widget=SELECT)
    status = forms.ChoiceField(required=False, choices=[("", "Any outcome"), *STATUS_LABELS.items()], widget=SELECT)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [("", "Any criterion"), *((c, f"{c}: {s}") for c, s in criteria)]
