"""Queries: the investigator asks, the coordinator answers at the field, the investigator closes or asks again."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from review import services
from review.forms import QueryReplyForm, query_raise_form
from review.models import Query
from screening.models import Screening


def _back(request, screening_id):
    """To the page the form was on (the sign page, the entries or the result), else the result."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("screening:detail", pk=screening_id)


def _report(request, action, success):
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)


@permission_required("review.raise_query", raise_exception=True)
@require_POST
def query_raise(request, pk):
    screening = get_object_or_404(Screening, pk=pk)
    form = query_raise_form(screening, request.POST)
    if form.is_valid():
        _report(
            request,
            lambda: services.query_raise(screening=screening, user=request.user, **form.cleaned_data),
            "Query sent to the coordinator. The screening cannot be signed until it is answered.",
        )
    else:
        messages.error(request, "The query was not sent: choose what it is about and write the question.")
    return _back(request, screening.pk)


def _reply(request, pk, action, success):
    query = get_object_or_404(Query, pk=pk)
    form = QueryReplyForm(request.POST)
    if form.is_valid() or action is services.query_close:
        text = form.cleaned_data.get("text", "")
        _report(request, lambda: action(query=query, user=request.user, text=text), success)
    else:
        messages.error(request, " ".join(form.errors["text"]))
    return _back(request, query.screening_id)


@permission_required("review.answer_query", raise_exception=True)
@require_POST
def query_answer(request, pk):
    return _reply(request, pk, services.query_answer, "Answer sent back to the investigator.")


@permission_required("review.raise_query", raise_exception=True)
@require_POST
def query_ask_again(request, pk):
    return _reply(request, pk, services.query_ask_again, "Asked again.")


@permission_required("review.raise_query", raise_exception=True)
@require_POST
def query_close(request, pk):
    return _reply(request, pk, services.query_close, "Query closed.")
