from django import forms

from review.services import MAX_TEXT
from review.targets import query_targets
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
