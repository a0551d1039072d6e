from django import forms
from django.utils import timezone

from referrals.models import Referral
from screening.forms import CandidateForm
from screening.models import Screening

DATE = forms.DateInput(attrs={"type": "date"})


def _not_in_future(day, what):
    if day and day > timezone.localdate():
        raise forms.ValidationError(f"The {what} is in the future.")
    return day


class ReferralForm(CandidateForm):
    """A new candidate referred for the trial: who they are, where the referral came from and when."""

    source = forms.ChoiceField(choices=[("", "---------"), *Referral.Source.choices])
    source_detail = forms.CharField(
        label="Referred by",
        required=False,
        max_length=200,
        help_text="The clinic, physician or list it came from; never the patient's name.",
    )
    referred_on = forms.DateField(label="Date referred", initial=timezone.localdate, widget=DATE)

    field_order = ["initials", "birth_date", "sex", "mrn", "source", "source_detail", "referred_on"]

    def clean_referred_on(self):
        return _not_in_future(self.cleaned_data["referred_on"], "referral date")

    def clean(self):
        cleaned = super().clean()
        born, day = cleaned.get("birth_date"), cleaned.get("referred_on")
        if born and day and day < born:
            self.add_error("referred_on", "The referral date is before the date of birth.")
        return cleaned


class ReferralCloseForm(forms.Form):
    status = forms.ChoiceField(
        label="Outcome",
        choices=[
            (Referral.Status.NOT_APPROACHED, "Not approached"),
            (Referral.Status.DECLINED, "Declined before screening"),
        ],
        widget=forms.RadioSelect,
    )
    not_approached_reason = forms.ChoiceField(
        label="Why not approached", required=False, choices=[("", "---------"), *Referral.NotApproachedReason.choices]
    )
    reason = forms.CharField(label="Details", required=False, max_length=300)
    closed_on = forms.DateField(label="Date", initial=timezone.localdate, widget=DATE)

    def clean_closed_on(self):
        return _not_in_future(self.cleaned_data["closed_on"], "date")


class ReferralScreenForm(forms.Form):
    cohort = forms.ChoiceField(choices=Screening.Cohort.choices)
    screening_date = forms.DateField(initial=timezone.localdate, widget=DATE)

    def clean_screening_date(self):
        return _not_in_future(self.cleaned_data["screening_date"], "screening date")
