from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files (Django's FileField takes one): the NDJSON files of a bulk export come together."""

    def clean(self, data, initial=None):
        single = super().clean
        return [single(item, initial) for item in data] if isinstance(data, list | tuple) else [single(data, initial)]


class EhrImportForm(forms.Form):
    file = MultipleFileField(
        label="FHIR file(s)",
        widget=MultipleFileInput(attrs={"accept": ".json,.ndjson,application/fhir+json,application/json"}),
        help_text="One FHIR R4 Bundle (.json), or the NDJSON files of a bulk export, for this candidate only.",
    )
