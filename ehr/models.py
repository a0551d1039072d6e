from django.conf import settings
from django.db import models

from screening.models import ROWS_OF_SIGNED_SCREENING_ARE_LOCKED


class EhrImport(models.Model):
    """One import of a FHIR export into a screening: who, when, which file (its SHA-256; the file itself is not kept),
    and what it gave: counts mapped, resources rejected, resource types no criterion uses."""

    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="ehr_imports")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    description = models.CharField(
        "what was imported",
        max_length=500,
        help_text="The kind of export and its resource types; never the file names.",
    )
    file_sha256 = models.CharField("SHA-256 of the file(s)", max_length=64)
    resources = models.PositiveIntegerField(help_text="Resources in the file(s).")
    mapped = models.JSONField(default=dict, help_text="Values found, by what they fill.")
    problems = models.JSONField(default=list, help_text="Resources rejected or not usable, with why.")
    not_used = models.JSONField(default=dict, help_text="Resources no criterion uses, by type.")

    class Meta:
        ordering = ["-imported_at"]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return f"EHR import {self.description} into {self.screening_id}"


class EhrValue(models.Model):
    """A value the import found for a field of the screening, with its source; the chosen one per field is what
    was prefilled (or, where the coordinator had typed something else, what conflicts with it)."""

    class Use(models.TextChoices):
        PREFILLED = "prefilled", "Prefilled"
        SAME = "same", "Same as typed"
        CONFLICT = "conflict", "Differs from what was typed (kept)"
        CANDIDATE = "candidate", "Another candidate"
        OUTSIDE = "outside", "Outside the window"

    ehr_import = models.ForeignKey(EhrImport, on_delete=models.CASCADE, related_name="values")
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="ehr_values")
    field = models.CharField(max_length=60)
    section = models.CharField(max_length=30)
    value = models.JSONField()
    on = models.DateField(null=True, blank=True)
    source = models.JSONField()
    use = models.CharField(max_length=10, choices=Use.choices)

    class Meta:
        ordering = ["section", "field", "-on", "pk"]
        indexes = [models.Index(fields=["screening", "field"])]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return f"{self.field} from {self.source.get('resource_type')} {self.source.get('id')}"


class SectionConfirmation(models.Model):
    """The coordinator checked the values an import prefilled in one section of the form."""

    ehr_import = models.ForeignKey(EhrImport, on_delete=models.CASCADE, related_name="confirmations")
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="+")
    section = models.CharField(max_length=30)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ehr_import", "section"], name="one_confirmation_per_section_and_import")
        ]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]

    def __str__(self):
        return f"{self.section} confirmed by {self.confirmed_by}"
