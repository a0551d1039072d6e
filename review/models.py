import pgtrigger
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from screening.models import ROWS_OF_SIGNED_SCREENING_ARE_LOCKED


class Query(models.Model):
    """An investigator's question to the coordinator on one criterion or one entry of a screening, before sign-off.

    Open: waiting for the coordinator. Answered: back with the investigator, who closes it (or signing does) or asks
    again. The messages are the thread, kept for the audit trail and the report."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the coordinator"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="queries")
    target = models.CharField(max_length=60, help_text="Where on the screening: the id of the criterion or entry.")
    target_label = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["raised_at", "id"]
        verbose_name_plural = "queries"
        indexes = [models.Index(fields=["status", "raised_by"]), models.Index(fields=["screening", "status"])]
        triggers = [ROWS_OF_SIGNED_SCREENING_ARE_LOCKED]
        permissions = [
            ("raise_query", "Can return a screening to its coordinator with a query, and close it"),
            ("answer_query", "Can answer a query on a screening"),
        ]

    def __str__(self):
        return f"Query on {self.target_label}: {self.get_status_display()}"


MESSAGE_OF_SIGNED_SCREENING = """
    EXISTS (SELECT 1 FROM review_query q JOIN screening_signature s ON s.screening_id = q.screening_id
            WHERE q.id = NEW.query_id)
"""


class QueryMessage(models.Model):
    """One message of a query's thread. Written once: never changed or deleted, and none is added after sign-off."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"
        CLOSE = "close", "Closed"

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        triggers = [
            pgtrigger.Protect(name="query_message_is_permanent", operation=pgtrigger.Update | pgtrigger.Delete),
            pgtrigger.Trigger(
                name="no_message_after_sign_off",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                func=f"""
                    IF {MESSAGE_OF_SIGNED_SCREENING} THEN
                        RAISE EXCEPTION 'The screening is signed: its queries are closed'
                            USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.author}: {self.text[:40]}"
