import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from screening.rules import facts as F

HISTORY_CHOICES = [("", "Not answered"), ("none", "None"), ("yes", "Yes")]


# The database refuses any change to a signed record, whatever the code path (a view, the admin, a script, SQL): the
# signature must stay linked to exactly what was signed (21 CFR 11.70). Only the enrollment outcome, which is recorded
# after sign-off and is not part of what was signed, may still be written on a signed screening.
SIGNED = "EXISTS (SELECT 1 FROM screening_signature WHERE screening_id = {id})"
LOCKED = "RAISE EXCEPTION '%', {message} USING ERRCODE = 'restrict_violation';"
AFTER_SIGNING = ("enrollment", "enrollment_reason", "enrollment_recorded_at", "enrollment_recorded_by_id", "updated_at")
WRITABLE_AFTER_SIGNING = f"ARRAY{list(AFTER_SIGNING)}"

SIGNED_SCREENING_IS_LOCKED = pgtrigger.Trigger(
    name="signed_screening_is_locked",
    when=pgtrigger.Before,
    operation=pgtrigger.Update | pgtrigger.Delete,
    func=f"""
        IF {SIGNED.format(id="OLD.id")} AND (TG_OP = 'DELETE'
            OR (to_jsonb(NEW) - {WRITABLE_AFTER_SIGNING}) IS DISTINCT FROM (to_jsonb(OLD) - {WRITABLE_AFTER_SIGNING}))
        THEN
            {LOCKED.format(message="'Screening ' || OLD.number || ' is signed and locked'")}
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    """,
)

ROWS_OF_SIGNED_SCREENING_ARE_LOCKED = pgtrigger.Trigger(
    name="rows_of_signed_screening_are_locked",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=f"""
        IF TG_OP <> 'INSERT' AND {SIGNED.format(id="OLD.screening_id")} THEN
            {LOCKED.format(message="'The rows of a signed screening are locked'")}
        END IF;
        IF TG_OP <> 'DELETE' AND {SIGNED.format(id="NEW.screening_id")} THEN
            {LOCKED.format(message="'The rows of a signed screening are locked'")}
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    """,
)


# What a coordinator enters on the screening itself (the rest is in its rows and answers).
ENTRY_FIELDS = (
    "cohort",
    "screening_date",
    "weight_kg",
    "ecog",
    "peripheral_neuropathy",
    "major_surgery",
    "major_surgery_date",
    "radiotherapy",
    "radiotherapy_date",
    "traumatic_injury",
    "traumatic_injury_date",
    "tumor_sample",
    "tumor_sample_date",
    "brain_metastases_treatment",
    "brain_metastases_treatment_date",
    "brain_metastases_imaging",
    "brain_metastases_imaging_date",
    "prior_therapy",
    "medications_taken",
)


class Screening(models.Model):
    """One screening of one candidate, against the criteria version active when it was started."""

    class Cohort(models.TextChoices):
        PHASE_1 = "phase1", "Phase I"
        PHASE_2 = "phase2", "Phase II"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        EVALUATED = "evaluated", "Evaluated"

    class Verdict(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        INELIGIBLE = "ineligible", "Ineligible"
        INCOMPLETE = "incomplete", "Incomplete"

    candidate = models.ForeignKey("patients.Candidate", on_delete=models.PROTECT, related_name="screenings")
    number = models.CharField(
        "screening number",
        max_length=24,
        unique=True,
        editable=False,
        help_text="The candidate's number and this screening's place among theirs, e.g. SCR-0001-2.",
    )
    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="screenings")
    criteria_version = models.ForeignKey("trials.CriteriaVersion", on_delete=models.PROTECT, related_name="+")
    cohort = models.CharField(max_length=6, choices=Cohort.choices)
    screening_date = models.DateField()
    coordinator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="screenings")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revision = models.PositiveIntegerField(
        default=0, editable=False, help_text="Counts the saves of the entries: an edit opened at an older one is stale."
    )

    weight_kg = models.DecimalField("weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True)
    ecog = models.PositiveSmallIntegerField(
        "ECOG performance status", null=True, blank=True, validators=[MaxValueValidator(5)]
    )
    peripheral_neuropathy = models.PositiveSmallIntegerField(
        "peripheral neuropathy (CTCAE grade)", null=True, blank=True, validators=[MaxValueValidator(5)]
    )
    answers = models.JSONField(default=dict, blank=True, help_text="Recorded facts and attestations, by code.")
    warnings = models.JSONField(
        default=list, blank=True, help_text="Unusual but possible entries, to double-check; kept with the screening."
    )

    # Dated history, one pair per kind of event the rules know (facts.EVENTS): "" not asked yet, "none", or "yes"
    # with the most recent date (the rules use the latest).
    major_surgery = models.CharField("major surgery", max_length=4, choices=HISTORY_CHOICES, blank=True)
    major_surgery_date = models.DateField("date of the most recent major surgery", null=True, blank=True)
    radiotherapy = models.CharField(max_length=4, choices=HISTORY_CHOICES, blank=True)
    radiotherapy_date = models.DateField("date radiotherapy last given", null=True, blank=True)
    traumatic_injury = models.CharField("traumatic injury", max_length=4, choices=HISTORY_CHOICES, blank=True)
    traumatic_injury_date = models.DateField("date of the most recent injury", null=True, blank=True)
    tumor_sample = models.CharField("archived tumor sample", max_length=4, choices=HISTORY_CHOICES, blank=True)
    tumor_sample_date = models.DateField("date the sample was collected", null=True, blank=True)
    brain_metastases_treatment = models.CharField(
        "brain metastases treated", max_length=4, choices=HISTORY_CHOICES, blank=True
    )
    brain_metastases_treatment_date = models.DateField("date of the last treatment", null=True, blank=True)
    brain_metastases_imaging = models.CharField(
        "brain imaging since treatment", max_length=4, choices=HISTORY_CHOICES, blank=True
    )
    brain_metastases_imaging_date = models.DateField("date imaging last showed them stable", null=True, blank=True)
    # Lists: "" not asked yet, "none", or "yes" with rows below.
    prior_therapy = models.CharField("prior anticancer therapy", max_length=4, choices=HISTORY_CHOICES, blank=True)
    medications_taken = models.CharField("concomitant medications", max_length=4, choices=HISTORY_CHOICES, blank=True)

    class Enrollment(models.TextChoices):
        """How the entry ends, CONSORT 2010's flow boxes: enrolled, or excluded as not meeting the criteria, declined,
        or for another reason."""

        ENROLLED = "enrolled", "Enrolled"
        SCREEN_FAILURE = "screen_failure", "Screen failure: does not meet the criteria"
        DECLINED = "declined", "Declined by the candidate"
        INVESTIGATOR_DECISION = "investigator", "Not enrolled: investigator decision"
        OTHER_TRIAL = "other_trial", "Enrolled in another trial"
        DIED = "died", "Died before enrollment"
        LOST = "lost", "Lost to follow-up before enrollment"
        NOT_ENROLLED = "not_enrolled", "Not enrolled, another reason"

    enrollment = models.CharField("outcome", max_length=14, choices=Enrollment.choices, blank=True)
    enrollment_reason = models.CharField(max_length=300, blank=True)
    enrollment_recorded_at = models.DateTimeField(null=True, blank=True)
    enrollment_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The earlier screening this one corrects.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-screening_date", "-created_at"]
        indexes = [
            models.Index(fields=["coordinator", "-created_at"]),
            models.Index(fields=["-screening_date", "-id"]),
            models.Index(fields=["verdict", "screening_date"]),
        ]
        triggers = [SIGNED_SCREENING_IS_LOCKED]
        permissions = [
            ("sign_screening", "Can sign off a screening's eligibility decision"),
            ("record_enrollment", "Can record the enrollment outcome of a signed screening"),
            ("view_screen_fail_log", "Can review the screen-fail log and export it de-identified"),
            ("export_identified", "Can export identified screening data"),
            ("view_audit_trail", "Can read the audit trail of a screening"),
        ]

    def __str__(self):
        return f"{self.number} · {self.screening_date} · {self.get_cohort_display()}"

    @property
    def is_signed(self):
        return hasattr(self, "signature")


class LabValue(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="labs")
    analyte = models.ForeignKey("trials.Analyte", on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])
    unit = models.CharField(max_length=20)
    uln = models.DecimalField("ULN", max_digits=12, decimal_places=4, null=True, blank=True)
    collected_on = models.DateField(null=True, blank=True)
    confirmed = models.BooleanField(
        "unusual value confirmed", default=False, help_text="The coordinator checked an unusual value and its unit."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["analyte__name"]
        constraints = [models.UniqueConstraint(fields=["screening", "analyte"], name="one_value_per_analyte")]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return f"{self.analyte.abbreviation} {self.value} {self.unit}"

    @property
    def analyte_code(self):
        return self.analyte.code


class BloodPressureReading(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="blood_pressures")
    taken_on = models.DateField()
    systolic = models.PositiveSmallIntegerField()
    diastolic = models.PositiveSmallIntegerField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_on", "pk"]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return f"{self.taken_on}: {self.systolic}/{self.diastolic} mm Hg"


class PriorTherapy(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="therapies")
    modality = models.CharField(max_length=30, choices=list(F.MODALITIES.items()))
    setting = models.CharField(max_length=20, choices=list(F.SETTINGS.items()))
    agents = models.CharField(max_length=300, blank=True, help_text="As the chart writes them, comma-separated.")
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField("last dose", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["started_on", "pk"]
        verbose_name_plural = "prior therapies"
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return f"{self.get_modality_display()}: {self.agents or 'agents not named'}"

    @property
    def agent_list(self):
        return tuple(a.strip() for a in self.agents.split(",") if a.strip())


class Medication(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=200, help_text="As the chart writes it, e.g. Coumadin.")
    dose = models.CharField(max_length=100, blank=True)
    purpose = models.CharField(max_length=12, choices=[("", "Not stated"), *F.PURPOSES.items()], blank=True)
    active = models.BooleanField(default=True, help_text="Untick when stopped.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return self.chart_text

    @property
    def chart_text(self):
        return f"{self.name} {self.dose}".strip()


class Lesion(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="lesions")
    site = models.CharField(max_length=100, blank=True)
    size_mm = models.DecimalField("longest diameter (mm)", max_digits=5, decimal_places=1)
    method = models.CharField(max_length=20, choices=list(F.MEASUREMENT_METHODS.items()))
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return f"{self.size_mm.normalize():f} mm ({self.get_method_display()})"


class Signature(models.Model):
    """An investigator's sign-off: who, when, what they confirmed, and a hash of exactly what they saw."""

    class Meaning(models.TextChoices):
        CONFIRM_ELIGIBLE = "confirm_eligible", "I confirm the candidate is eligible"
        CONFIRM_NOT_ELIGIBLE = "confirm_not_eligible", "I confirm the candidate is not eligible"

    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="signature")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    signer_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=24, choices=Meaning.choices)
    comment = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    key_id = models.CharField(
        "signing key", max_length=40, blank=True, help_text="The id of the key (outside the database) it was made with."
    )
    content_hash = models.CharField("HMAC-SHA256 of the signed record", max_length=64)
    history = HistoricalRecords()

    class Meta:
        triggers = [pgtrigger.Protect(name="signature_is_permanent", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.signer_name}, {self.signed_at:%Y-%m-%d %H:%M} UTC: {self.get_meaning_display()}"


class DataExport(models.Model):
    """An export of identified or limited data: who took it, when, which data set, and which filters chose the rows."""

    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(auto_now_add=True)
    file_format = models.CharField(max_length=4)
    data_set = models.CharField(
        max_length=12,
        choices=[("identified", "Identified"), ("limited", "Limited data set (months, exact ages)")],
        default="identified",
    )
    filters = models.JSONField(default=dict)
    history = HistoricalRecords()

    def __str__(self):
        return f"{self.file_format} by {self.exported_by} at {self.exported_at:%Y-%m-%d %H:%M}"


class CriterionOutcome(models.Model):
    """One criterion's outcome from the screening's latest evaluation: what the pages, log and report read."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="outcomes")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=8)
    kind = models.CharField(max_length=10)
    text = models.TextField()
    summary = models.CharField(max_length=300)
    status = models.CharField(max_length=15)
    reason = models.TextField()
    evidence = models.JSONField(default=list)
    missing = models.JSONField(default=list)  # [{"field": ..., "label": ...}]

    class Meta:
        ordering = ["screening", "order"]
        constraints = [models.UniqueConstraint(fields=["screening", "code"], name="one_outcome_per_criterion")]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]
        indexes = [
            models.Index(fields=["code", "status"]),
            # The log's failures: read from the index alone (PostgreSQL), whatever the number of screenings.
            models.Index(
                fields=["screening"],
                include=["code", "id", "order", "summary"],
                condition=models.Q(status="not_met"),
                name="outcome_not_met_covering",
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.status}"


class Report(models.Model):
    """A PDF eligibility report. The database status is the truth; the worker that makes it may die and retry."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being generated"
        RETRYING = "retrying", "Retrying"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="reports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # The row is the outbox: when its message was last handed to the broker (or, while retrying, when the retry is
    # due); the sweeper sends again what was never sent or has waited too long.
    sent_at = models.DateTimeField(null=True, blank=True)
    # Which run holds the report while it is being generated: only that run may finish it.
    claim = models.CharField(max_length=32, blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="Of what it shows: the screening's content and its signature."
    )
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    sha256 = models.CharField("SHA-256 of the file", max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "updated_at"])]
        permissions = [("retry_report", "Can see stuck or failed reports and send them again")]

    def __str__(self):
        return f"Report {self.pk} for {self.screening_id}: {self.status}"
