from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Referral(models.Model):
    """A candidate referred for the trial, before any screening: where from and when, and how it ended (a screening,
    or not approached, or declined before screening). CONSORT's box above "assessed for eligibility"."""

    class Source(models.TextChoices):
        CLINIC = "clinic", "Melanoma clinic list"
        PHYSICIAN = "physician", "Referring physician"
        TUMOR_BOARD = "tumor_board", "Tumor board"
        EHR_SEARCH = "ehr_search", "EHR search or pre-screen"
        SELF = "self", "Self-referral"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting screening"
        SCREENED = "screened", "Screening started"
        NOT_APPROACHED = "not_approached", "Not approached"
        DECLINED = "declined", "Declined before screening"

    class NotApproachedReason(models.TextChoices):
        TOO_ILL = "too_ill", "Too unwell to approach"
        INVESTIGATOR = "investigator", "Investigator judged it unsuitable"
        LOGISTICS = "logistics", "Distance, schedule or transport"
        CONSENT_CAPACITY = "consent", "Language or consent capacity"
        NO_SLOT = "no_slot", "No trial slot available"
        OTHER = "other", "Another reason"

    candidate = models.ForeignKey("patients.Candidate", on_delete=models.PROTECT, related_name="referrals")
    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=12, choices=Source.choices)
    source_detail = models.CharField(
        "referred by", max_length=200, blank=True, help_text="The clinic, physician or list; never the patient's name."
    )
    referred_on = models.DateField("date referred")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    not_approached_reason = models.CharField(max_length=12, choices=NotApproachedReason.choices, blank=True)
    reason = models.CharField("details", max_length=300, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    screening = models.OneToOneField(
        "screening.Screening", on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [models.Index(fields=["status", "referred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="screened", screening__isnull=False)
                | (~models.Q(status="screened") & models.Q(screening__isnull=True)),
                name="referral_screened_has_its_screening",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="not_approached") | ~models.Q(not_approached_reason=""),
                name="referral_not_approached_says_why",
            ),
        ]

    def __str__(self):
        return f"Referral of {self.candidate.screening_number} on {self.referred_on}"
