from django import template

from review.forms import QueryReplyForm, query_raise_form
from review.models import Query
from review.selectors import screening_queries

register = template.Library()


@register.inclusion_tag("review/_queries.html", takes_context=True)
def query_panel(context, screening, *, raise_form=True):
    """A screening's queries with their threads, and the forms the viewer may use on them; shown on the result, the
    entries and the sign page. The queries' callouts are placed at their fields by queries.js."""
    perms = context["perms"]
    request = context["request"]
    signed = screening.is_signed
    may_raise = perms["review"]["raise_query"] and not signed
    return {
        "screening": screening,
        "queries": screening_queries(screening=screening),
        "raise_form": query_raise_form(screening) if may_raise and raise_form else None,
        "may_raise": may_raise,
        "may_answer": perms["review"]["answer_query"] and not signed,
        "reply_form": QueryReplyForm(),
        "next": request.get_full_path(),
        "OPEN": Query.Status.OPEN,
        "ANSWERED": Query.Status.ANSWERED,
        "csrf_token": context.get("csrf_token"),
    }
