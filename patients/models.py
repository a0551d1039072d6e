from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from screening.rules.facts import SEXES


class Candidate(models.Model):
    """A person being screened: the minimum a screening needs, identified by a number the app assigns."""

    screening_number = models.CharField(max_length=20, unique=True, editable=False)
    initials = models.CharField(max_length=4)
    birth_date = models.DateField("date of birth")
    sex = models.CharField(max_length=6, choices=list(SEXES.items()))
    mrn = models.CharField("medical record number", max_length=30, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_identifiers", "Can see medical record numbers")]
        constraints = [
            models.UniqueConstraint(fields=["mrn"], condition=~models.Q(mrn=""), name="unique_candidate_mrn_when_given")
        ]

    def __str__(self):
        return f"{self.screening_number} ({self.initials})"
