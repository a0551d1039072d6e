from django.conf import settings
from django.db import models


class ImpactPreview(models.Model):
    """What publishing a draft would do to the screenings already evaluated: each re-evaluated under the draft, in
    the background, and compared with its stored outcomes. Nothing about those screenings changes. The preview a
    version was published with stays with it, for the record."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    version = models.ForeignKey("trials.CriteriaVersion", on_delete=models.CASCADE, related_name="impact_previews")
    draft_hash = models.CharField(max_length=64, help_text="The draft's content hash when the preview was asked for.")
    compared_with = models.ForeignKey(
        "trials.CriteriaVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Impact of {self.version.label} ({self.get_status_display().lower()})"

    @property
    def percent(self):
        return 100 if self.status == self.Status.DONE else int(100 * self.done / self.total) if self.total else 0
