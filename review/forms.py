from django import forms

from review.services import MAX_TEXT
from review.targets import query_targets
from screening.models import Screening
from trials.models import CriteriaVersion
from trials.ruleset import screening_form_vocabulary

TEXT = forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"})


class QueryRaiseForm(forms.Form):
    target = forms.ChoiceField(label="About", widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    text = forms.CharField(label="Question", max_length=MAX_TEXT, widget=TEXT)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "Choose a criterion or an entry"), *targets]


class QueryReplyForm(forms.Form):
    text = forms.CharField(label="Answer", max_length=MAX_TEXT, widget=TEXT)


def query_raise_form(screening, data=None):
    """The raise form with the targets of this screening: its criteria, entries, labs and sections."""
    _, analytes = screening_form_vocabulary(screening.criteria_version)
    return QueryRaiseForm(data, targets=query_targets(screening, analytes))


class LogFilterForm(forms.Form):
    """The screen-fail log's filters; all optional."""

    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    verdict = forms.ChoiceField(
        required=False, choices=[("", "Any verdict"), *Screening.Verdict.choices, ("draft", "Draft (not evaluated)")]
    )
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", "Any outcome"), *Screening.Enrollment.choices, ("none", "No outcome yet")],
    )
    cohort = forms.ChoiceField(required=False, choices=[("", "Any cohort"), *Screening.Cohort.choices])
    failed = forms.ChoiceField(required=False, label="Failed criterion")
    coordinator = forms.ModelChoiceField(required=False, queryset=None, empty_label="Any coordinator")
    version = forms.ModelChoiceField(
        required=False,
        label="Criteria version",
        queryset=CriteriaVersion.objects.exclude(status=CriteriaVersion.Status.DRAFT).select_related("trial"),
        empty_label="Any criteria version",
    )
    signed = forms.ChoiceField(required=False, choices=[("", "Signed or not"), ("yes", "Signed"), ("no", "Not signed")])
    q = forms.CharField(required=False, label="Screening number", max_length=20)
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("-date", "Newest first"),
            ("date", "Oldest first"),
            ("number", "Screening number"),
            ("-number", "Screening number, descending"),
            ("verdict", "Verdict"),
        ],
    )
    period = forms.ChoiceField(required=False, label="Chart by", choices=[("month", "Month"), ("week", "Week")])

    def __init__(self, *args, criteria, coordinators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["failed"].choices = [("", "Any criterion"), *((code, f"{code}: {text}") for code, text in criteria)]
        self.fields["coordinator"].queryset = coordinators
        self.fields["coordinator"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        self.fields["version"].label_from_instance = lambda version: f"{version.label} ({version.get_status_display()})"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_to"] < cleaned["date_from"]:
            self.add_error("date_to", "The end of the range is before its start.")
        return cleaned
