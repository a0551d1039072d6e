from django import forms
from django.utils import timezone


class PublishForm(forms.Form):
    """The publisher's signature on a reviewed draft: the dates it takes effect by, and the password again."""

    # The content hash of the draft the page showed: what was reviewed is what is published.
    reviewed = forms.CharField(widget=forms.HiddenInput, max_length=64)
    irb_approved_on = forms.DateField(
        label="IRB approval date", widget=forms.DateInput(attrs={"type": "date"}), help_text="As on the IRB letter."
    )
    effective_date = forms.DateField(
        label="Effective date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="From this date, new screenings use this version.",
    )
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("effective_date", timezone.localdate())
        super().__init__(*args, **kwargs)
