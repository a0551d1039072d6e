"""Reads for the investigator's and the coordinator's day: the worklist on their home page, a screening's queries."""

from django.db.models import Exists, OuterRef, Prefetch, Q

from review.models import Query, QueryMessage
from screening.models import Screening, Signature

RECENT = 10


def screening_queries(*, screening):
    """A screening's queries with their threads, oldest first."""
    messages = QueryMessage.objects.select_related("author").order_by("created_at", "id")
    return list(
        Query.objects.filter(screening=screening)
        .select_related("raised_by")
        .prefetch_related(Prefetch("messages", queryset=messages))
        .order_by("raised_at", "id")
    )


def awaiting_signoff(*, user):
    """Evaluated screenings with a verdict to sign, that the user did not enter and no query holds, oldest first."""
    entered = Screening.history.model.objects.filter(id=OuterRef("pk"), history_user=user)
    held = Query.objects.filter(screening=OuterRef("pk"), status=Query.Status.OPEN)
    return (
        Screening.objects.filter(
            status=Screening.Status.EVALUATED,
            verdict__in=[Screening.Verdict.ELIGIBLE, Screening.Verdict.INELIGIBLE],
            signature__isnull=True,
        )
        .exclude(coordinator=user)
        .exclude(Exists(entered))
        .exclude(Exists(held))
        .select_related("candidate", "coordinator")
        .order_by("evaluated_at", "id")
    )


def queries_answered(*, user):
    """Queries the user raised that the coordinator has answered: back with them."""
    return _queries(Q(raised_by=user, status=Query.Status.ANSWERED)).order_by("answered_at", "id")


def queries_waiting(*, user):
    """Queries the user raised that wait for the coordinator."""
    return _queries(Q(raised_by=user, status=Query.Status.OPEN)).order_by("raised_at", "id")


def queries_to_answer(*, user):
    """Open queries on the screenings the user coordinates, oldest first."""
    return _queries(Q(screening__coordinator=user, status=Query.Status.OPEN)).order_by("raised_at", "id")


def recent_signoffs(*, user):
    return Signature.objects.filter(signer=user).select_related("screening__candidate").order_by("-signed_at")[:RECENT]


def _queries(condition):
    return Query.objects.filter(condition).select_related("screening__candidate", "raised_by")


def worklist(*, user):
    """What waits for the user on their home page, by what their role does: investigators sign and close queries,
    coordinators answer them. Empty lists for a role with nothing of the kind."""
    may_sign = user.has_perm("screening.sign_screening")
    may_raise = user.has_perm("review.raise_query")
    may_answer = user.has_perm("review.answer_query")
    return {
        "awaiting_signoff": list(awaiting_signoff(user=user)[:50]) if may_sign else [],
        "answered": list(queries_answered(user=user)) if may_raise else [],
        "waiting": list(queries_waiting(user=user)) if may_raise else [],
        "to_answer": list(queries_to_answer(user=user)) if may_answer else [],
        "recent_signoffs": list(recent_signoffs(user=user)) if may_sign else [],
        "shown": may_sign or may_raise or may_answer,
    }
