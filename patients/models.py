import pgtrigger
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
        # A screening number, once given, never changes (not even by reverting a history entry); and the identity a
        # signature covers is locked once any of the candidate's screenings is signed: it changes by a correction.
        triggers = [
            pgtrigger.Trigger(
                name="candidate_identity_is_locked",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                func="""
                    IF OLD.screening_number NOT LIKE 'pending-%'
                        AND NEW.screening_number IS DISTINCT FROM OLD.screening_number THEN
                        RAISE EXCEPTION 'The screening number % never changes', OLD.screening_number
                            USING ERRCODE = 'restrict_violation';
                    END IF;
                    IF (NEW.initials, NEW.birth_date, NEW.sex) IS DISTINCT FROM (OLD.initials, OLD.birth_date, OLD.sex)
                        AND EXISTS (
                            SELECT 1 FROM screening_screening s JOIN screening_signature g ON g.screening_id = s.id
                            WHERE s.candidate_id = OLD.id
                        ) THEN
                        RAISE EXCEPTION 'Candidate % has a signed screening: their identity is locked',
                            OLD.screening_number USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                """,
            )
        ]

    def __str__(self):
        return f"{self.screening_number} ({self.initials})"
