from django.db import models
from simple_history.models import HistoricalRecords


class Trial(models.Model):
    """A study as published on ClinicalTrials.gov; the record the eligibility criteria come from."""

    class DatePrecision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"

    nct_id = models.CharField("NCT ID", max_length=11, unique=True)
    brief_title = models.CharField(max_length=300)
    official_title = models.CharField(max_length=600)
    acronym = models.CharField(max_length=50, blank=True)
    brief_summary = models.TextField()
    detailed_description = models.TextField(blank=True)

    sponsor = models.CharField(max_length=200)
    collaborators = models.JSONField(default=list, blank=True)
    responsible_party = models.CharField(max_length=200, blank=True)
    information_provided_by = models.CharField(max_length=200, blank=True)

    study_type = models.CharField(max_length=100)
    phases = models.JSONField(default=list, help_text='As published, e.g. ["Phase 1"].')
    conditions = models.JSONField(default=list)
    intervention_model = models.CharField(max_length=100, blank=True)
    allocation = models.CharField(max_length=100, blank=True)
    masking = models.CharField(max_length=100, blank=True)
    primary_purpose = models.CharField(max_length=100, blank=True)
    enrollment_count = models.PositiveIntegerField(null=True, blank=True)
    enrollment_type = models.CharField(max_length=20, blank=True, help_text="Actual or Anticipated.")

    overall_status = models.CharField("recruitment status", max_length=50)
    first_posted = models.DateField(null=True, blank=True)
    last_update_posted = models.DateField(null=True, blank=True)
    last_verified = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")
    study_start = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")
    primary_completion = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")
    study_completion = models.DateField(null=True, blank=True, help_text="Month precision: stored as the 1st.")

    minimum_age = models.CharField(max_length=30, blank=True, help_text='As published, e.g. "18 Years".')
    maximum_age = models.CharField(max_length=30, blank=True, help_text="Empty when the record sets none.")
    age_groups = models.JSONField(default=list, blank=True)
    sexes = models.CharField(max_length=20)
    accepts_healthy_volunteers = models.BooleanField()
    eligibility_criteria = models.TextField(help_text="The record's criteria text, verbatim, one bullet per line.")

    mesh_terms = models.JSONField("additional relevant MeSH terms", default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["nct_id"]

    def __str__(self):
        return f"{self.nct_id}: {self.brief_title}"

    @property
    def criteria_bullets(self):
        return [line.strip() for line in self.eligibility_criteria.splitlines() if line.strip()]


class TrialIdentifier(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="identifiers")
    identifier = models.CharField(max_length=60)
    kind = models.CharField(max_length=60, help_text="E.g. Registry Identifier, Other Identifier, NIH Grant.")
    domain = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]
        constraints = [models.UniqueConstraint(fields=["trial", "identifier"], name="unique_trial_identifier")]

    def __str__(self):
        return self.identifier


class Intervention(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=40, help_text="E.g. Drug, Procedure.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    other_names = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]

    def __str__(self):
        return f"{self.kind}: {self.name}"


class Arm(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="arms")
    kind = models.CharField(max_length=40, help_text="E.g. Experimental, Active Comparator.")
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    interventions = models.ManyToManyField(Intervention, related_name="arms", blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]

    def __str__(self):
        return f"{self.kind}: {self.label}"


class OutcomeMeasure(models.Model):
    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="outcome_measures")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.TextField()
    time_frame = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "kind", "order"]

    def __str__(self):
        return self.title


class Location(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="locations")
    facility = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    zip_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100)

    class Meta:
        ordering = ["trial", "country", "state", "city", "facility"]

    def __str__(self):
        return f"{self.facility}, {self.city}"


class Investigator(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="investigators")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, help_text="E.g. Principal Investigator.")
    affiliation = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["trial", "name"]

    def __str__(self):
        return f"{self.name} ({self.role})"
