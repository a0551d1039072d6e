import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from screening.rules.engine import COHORTS
from screening.rules.facts import SEXES


class RetentionPolicy(models.Model):
    """How long a pre-screen run and its identified results are kept: one row, set by an administrator."""

    retention_days = models.PositiveIntegerField(
        "keep runs for (days)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="A run and everything it holds (the export's records and every patient's result) are deleted this "
        "many days after it was started. The audit of who looked at it stays.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "pre-screen retention policy"
        verbose_name_plural = "pre-screen retention policy"

    def __str__(self):
        return f"Pre-screen runs are kept {self.retention_days} days"

    @classmethod
    def current(cls):
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class PrescreenRun(models.Model):
    """The criteria of one version run over a FHIR bulk export of a clinic's patients, chunk by chunk on the
    workers, as of a reference date. Identified data: see prescreen/visibility in the views."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    criteria_version = models.ForeignKey("trials.CriteriaVersion", on_delete=models.PROTECT, related_name="+")
    cohort = models.CharField(max_length=10, choices=list(COHORTS.items()))
    reference_date = models.DateField(help_text="The criteria are decided as if each patient were screened that day.")
    description = models.CharField(max_length=300, help_text="The export's files by resource type; never file names.")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    progressed_at = models.DateTimeField(auto_now_add=True, help_text="When a chunk was last done (or the start).")
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    patients_total = models.PositiveIntegerField(default=0)
    patients_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    resources_read = models.PositiveIntegerField(default=0, help_text="Resources in the export.")
    resources_kept = models.PositiveIntegerField(default=0, help_text="Resources of the types the criteria use.")
    problems = models.JSONField(default=list, help_text="What in the export could not be read, counted by kind.")

    class Meta:
        ordering = ["-started_at", "-pk"]
        permissions = [("view_prescreen_results", "Can see the identified results of pre-screen runs")]

    def __str__(self):
        return f"Pre-screen run {self.pk} ({self.get_status_display().lower()})"

    @property
    def percent(self):
        return int(100 * self.patients_done / self.patients_total) if self.patients_total else 100

    @property
    def rate(self):
        """Patients done per second so far, or None before the first chunk."""
        elapsed = ((self.finished_at or self.progressed_at) - self.started_at).total_seconds()
        return self.patients_done / elapsed if self.patients_done and elapsed > 0 else None


class PrescreenChunk(models.Model):
    """A few hundred patients of a run, with the records the criteria use (NDJSON, LZ4-compressed): one Celery
    task's work. Its results are written in the same transaction that marks it done, so a chunk whose worker was
    killed is simply done again, and no patient is counted twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    run = models.ForeignKey(PrescreenRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    patients = models.PositiveIntegerField()
    records = models.BinaryField(help_text="The chunk's resources, one per line, LZ4-compressed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker took it up.")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="one_chunk_number_per_run")]

    def __str__(self):
        return f"Chunk {self.number} of run {self.run_id}"


class PrescreenResult(models.Model):
    """One patient of a run: who (identified), the verdict so far, and per criterion what decided it."""

    class Standing(models.IntegerChoices):
        NOTHING_FAILED = 1, "Nothing failed"
        TOO_LITTLE_DATA = 2, "Too little data"
        FAILED = 3, "Failed"

    run = models.ForeignKey(PrescreenRun, on_delete=models.CASCADE, related_name="results")
    chunk = models.ForeignKey(PrescreenChunk, on_delete=models.CASCADE, related_name="results")
    patient_id = models.CharField("FHIR patient id", max_length=64)
    name = models.CharField(max_length=200, blank=True)
    mrn = models.CharField("medical record number", max_length=64, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=6, choices=list(SEXES.items()), blank=True)
    standing = models.PositiveSmallIntegerField(choices=Standing.choices)
    failed_count = models.PositiveSmallIntegerField(default=0)
    to_collect_count = models.PositiveSmallIntegerField(default=0)
    statuses = models.JSONField(help_text="Criterion code -> met, not_met, unknown or not_applicable.")
    failed = models.JSONField(default=list, help_text="The failed criteria: code and reason.")
    unknown = models.JSONField(default=list, help_text="The criteria not decided: code and reason.")
    to_collect = models.JSONField(default=list, help_text="What to find in the chart to decide them.")
    to_ask = models.JSONField(default=list, help_text="The screening visit's questions they still wait for.")
    problem = models.CharField(max_length=300, blank=True, help_text="Why the records could not be read, if so.")
    screening = models.ForeignKey(
        "screening.Screening", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["standing", "to_collect_count", "failed_count", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "patient_id"], name="one_result_per_patient_and_run")]
        indexes = [models.Index(fields=["run", "standing", "to_collect_count", "failed_count"])]

    def __str__(self):
        return f"{self.get_standing_display()} ({self.patient_id})"


class PrescreenAccess(models.Model):
    """Who started, looked at, exported, cancelled or acted on a run, and when: written once, kept after the run
    itself is deleted (so it names the run by number, not by a key that would go with it)."""

    class Action(models.TextChoices):
        STARTED = "started", "Started the run"
        VIEWED_SUMMARY = "summary", "Viewed the de-identified summary"
        VIEWED_RESULTS = "results", "Viewed the identified results"
        EXPORTED = "exported", "Exported the identified results"
        SCREENED = "screened", "Made a candidate and a draft screening from a result"
        CANCELLED = "cancelled", "Cancelled the run"
        DELETED = "deleted", "Deleted after the retention period"

    run_number = models.PositiveIntegerField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    detail = models.JSONField(default=dict, help_text="Filters, page, or the screening made; never patient data.")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "pre-screen accesses"
        triggers = [
            pgtrigger.Protect(name="prescreen_access_is_permanent", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"{self.get_action_display()}: run {self.run_number} by {self.user or 'the system'}"
