"""Writes to queries. Each runs in one transaction on the screening's row locked, the lock that editing and signing
take, so a query is never raised on a screening that is being signed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from review.models import Query, QueryMessage
from review.targets import query_targets, target_label
from screening.models import Screening, Signature
from trials.ruleset import screening_form_vocabulary

MAX_TEXT = 2000


def _text(text, what):
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": f"Write the {what}."})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": f"Keep the {what} under {MAX_TEXT} characters."})
    return text


def _lock_unsigned(screening_id):
    Screening.objects.select_for_update().filter(pk=screening_id).values_list("pk", flat=True).get()
    if Signature.objects.filter(screening_id=screening_id).exists():
        raise ValidationError("The screening is signed: nothing more can be asked or answered on it.")


def _locked_query(query, *, status):
    _lock_unsigned(query.screening_id)
    query = Query.objects.select_for_update().get(pk=query.pk)
    if query.status not in status:
        raise ValidationError(f"This query is {query.get_status_display().lower()}: reload the page.")
    return query


@transaction.atomic
def query_raise(*, screening, user, target, text):
    """The investigator returns the screening to its coordinator with a question on one criterion or entry."""
    text = _text(text, "question")
    _lock_unsigned(screening.pk)
    _, analytes = screening_form_vocabulary(screening.criteria_version)
    label = target_label(query_targets(screening, analytes), target)
    if label is None:
        raise ValidationError({"target": "Choose a criterion or an entry of this screening."})
    query = Query.objects.create(screening=screening, target=target, target_label=label, raised_by=user)
    QueryMessage.objects.create(query=query, kind=QueryMessage.Kind.QUESTION, author=user, text=text)
    return query


@transaction.atomic
def query_answer(*, query, user, text):
    """The coordinator answers (after correcting the entry if needed): the query goes back to the investigator."""
    text = _text(text, "answer")
    query = _locked_query(query, status=[Query.Status.OPEN])
    QueryMessage.objects.create(query=query, kind=QueryMessage.Kind.ANSWER, author=user, text=text)
    query.status = Query.Status.ANSWERED
    query.answered_at = timezone.now()
    query.save(update_fields=["status", "answered_at"])
    return query


@transaction.atomic
def query_ask_again(*, query, user, text):
    """The answer does not settle it: the same query goes back to the coordinator with the new question."""
    text = _text(text, "question")
    query = _locked_query(query, status=[Query.Status.ANSWERED])
    QueryMessage.objects.create(query=query, kind=QueryMessage.Kind.QUESTION, author=user, text=text)
    query.status = Query.Status.OPEN
    query.save(update_fields=["status"])
    return query


@transaction.atomic
def query_close(*, query, user, text=""):
    """The investigator is satisfied (or withdraws the question)."""
    query = _locked_query(query, status=[Query.Status.OPEN, Query.Status.ANSWERED])
    _close(query, user, text.strip() or "Closed.")
    return query


def queries_close_answered(*, screening, user):
    """Signing settles the answered queries; called by the sign-off inside its transaction, before the signature."""
    for query in Query.objects.select_for_update().filter(screening=screening, status=Query.Status.ANSWERED):
        _close(query, user, "Closed by the sign-off.")


def _close(query, user, text):
    QueryMessage.objects.create(query=query, kind=QueryMessage.Kind.CLOSE, author=user, text=text)
    query.status = Query.Status.CLOSED
    query.closed_at = timezone.now()
    query.save(update_fields=["status", "closed_at"])
