"""Queries: the investigator returns a screening with a question on a criterion or an entry; the coordinator sees it at
the field and answers; it comes back; signing waits for it; the thread is in the audit trail and cannot change."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from review import services
from review.models import Query, QueryMessage
from screening.audit import audit_entries
from screening.pdf import render_report
from screening.selectors import screening_with_outcomes
from screening.services import screening_sign_refusal
from screening.tests.forms_data import sign_as


def raise_query(screening, investigator, target="field-weight_kg", text="Which scale was used?"):
    return services.query_raise(screening=screening, user=investigator, target=target, text=text)


def test_the_round_trip_holds_signing_until_the_answer_and_signing_closes_it(evaluated, investigator, coordinator):
    screening = evaluated()
    query = raise_query(screening, investigator)
    assert query.target_label == "Weight (kg)"
    assert "waits for the coordinator" in screening_sign_refusal(screening=screening, signer=investigator)
    with pytest.raises(ValidationError, match="waits for the coordinator"):
        sign_as(investigator, screening)
    services.query_answer(query=query, user=coordinator, text="Clinic scale, rechecked: 71.5 kg.")
    assert Query.objects.get(pk=query.pk).status == "answered"
    assert screening_sign_refusal(screening=screening, signer=investigator) is None
    sign_as(investigator, screening)
    query.refresh_from_db()
    assert query.status == "closed"
    assert [m.kind for m in query.messages.all()] == ["question", "answer", "close"]


def test_asking_again_returns_it_to_the_coordinator(evaluated, investigator, coordinator):
    query = raise_query(evaluated(), investigator)
    services.query_answer(query=query, user=coordinator, text="Yes.")
    services.query_ask_again(query=query, user=investigator, text="Yes to what? Give the scale.")
    assert Query.objects.get(pk=query.pk).status == "open"
    with pytest.raises(ValidationError, match="waiting for the coordinator"):
        services.query_ask_again(query=query, user=investigator, text="Again?")


@pytest.mark.parametrize(
    ("target", "text", "field"),
    [
        ("field-not_a_field", "Why?", "target"),
        ("criterion-XX99", "Why?", "target"),
        ("", "Why?", "target"),
        ("field-weight_kg", "   ", "text"),
        ("field-weight_kg", "x" * 2001, "text"),
    ],
)
def test_a_bad_query_gets_a_field_error_and_nothing_is_saved(evaluated, investigator, target, text, field):
    with pytest.raises(ValidationError) as raised:
        raise_query(evaluated(), investigator, target=target, text=text)
    assert field in raised.value.error_dict
    assert not Query.objects.exists()


def test_a_query_can_point_at_a_criterion_a_lab_or_a_section(evaluated, investigator):
    screening = evaluated()
    assert raise_query(screening, investigator, target="criterion-IN16").target_label.startswith("IN16: ")
    assert raise_query(screening, investigator, target="lab-platelets").target_label == "Platelet count"
    assert raise_query(screening, investigator, target="section-medications").target_label == "Concomitant medications"


def test_nothing_is_asked_or_answered_on_a_signed_screening(evaluated, investigator, coordinator):
    screening = evaluated()
    query = raise_query(screening, investigator)
    services.query_answer(query=query, user=coordinator, text="Clinic scale.")
    other = raise_query(screening, investigator, target="lab-platelets")
    services.query_close(query=other, user=investigator)
    sign_as(investigator, screening)
    with pytest.raises(ValidationError, match="signed"):
        raise_query(screening, investigator)
    with pytest.raises(ValidationError, match="signed"):
        services.query_ask_again(query=query, user=investigator, text="More?")


def test_the_database_keeps_the_thread_as_written_and_closed_after_sign_off(evaluated, investigator):
    screening = evaluated()
    query = raise_query(screening, investigator)
    services.query_close(query=query, user=investigator, text="Withdrawn.")
    message = query.messages.first()
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        QueryMessage.objects.filter(pk=message.pk).update(text="Something else")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        QueryMessage.objects.filter(pk=message.pk).delete()
    sign_as(investigator, screening)
    with pytest.raises((IntegrityError, InternalError), match="signed"), transaction.atomic():
        QueryMessage.objects.create(query=query, kind="question", author=investigator, text="Sneaked in")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        Query.objects.filter(pk=query.pk).update(status="open")


def test_the_thread_is_in_the_audit_trail(evaluated, investigator, coordinator, administrator):
    screening = evaluated()
    query = raise_query(screening, investigator, text="Which scale was used?")
    services.query_answer(query=query, user=coordinator, text="Clinic scale.")
    entries = [e for e in audit_entries(screening, user=administrator) if e["kind"] == "Query"]
    assert [(e["action"], e["changes"][0][2], e["object"]) for e in entries] == [
        ("asked", "Which scale was used?", "Weight (kg)"),
        ("answered", "Clinic scale.", "Weight (kg)"),
    ]
    assert entries[0]["role"] == "Principal investigator"


def test_coordinator_sees_the_query_at_the_field_and_answers_it(client_for, evaluated, investigator, coordinator):
    screening = evaluated()
    query = raise_query(screening, investigator)
    client = client_for(coordinator)
    page = client.get(reverse("screening:edit", args=[screening.pk])).content.decode()
    assert f'id="query-{query.pk}" data-target="field-weight_kg" data-status="open"' in page
    assert 'id="field-weight_kg"' in page
    assert "js/queries.js" in page
    edit_url = reverse("screening:edit", args=[screening.pk])
    response = client.post(reverse("review:query_answer", args=[query.pk]), {"text": "Clinic scale.", "next": edit_url})
    assert response.url == edit_url
    assert Query.objects.get(pk=query.pk).status == "answered"


def test_the_form_returns_only_to_a_page_of_this_site(client_for, evaluated, investigator):
    screening = evaluated()
    response = client_for(investigator).post(
        reverse("review:query_raise", args=[screening.pk]),
        {"target": "field-ecog", "text": "ECOG 1 or 2?", "next": "https://evil.example/"},
    )
    assert response.url == reverse("screening:detail", args=[screening.pk])
    assert Query.objects.get().target_label == "ECOG performance status"


@pytest.mark.parametrize(
    ("persona", "name", "status"),
    [
        ("coordinator", "review:query_raise", 403),
        ("coordinator", "review:query_close", 403),
        ("investigator", "review:query_answer", 403),
        ("administrator", "review:query_answer", 403),
        ("administrator", "review:query_raise", 403),
    ],
)
def test_each_role_does_only_its_part(request, client_for, evaluated, investigator, persona, name, status):
    screening = evaluated()
    query = raise_query(screening, investigator)
    target = screening.pk if name == "review:query_raise" else query.pk
    response = client_for(request.getfixturevalue(persona)).post(
        reverse(name, args=[target]), {"target": "field-ecog", "text": "Hm"}
    )
    assert response.status_code == status
    assert Query.objects.get().status == "open"
    assert Query.objects.count() == 1


def test_the_thread_is_in_the_pdf_report(evaluated, investigator, coordinator):
    screening = evaluated()
    query = raise_query(screening, investigator, text="Which scale was used?")
    services.query_answer(query=query, user=coordinator, text="Clinic scale, rechecked.")
    _, _, pdf = render_report(
        screening_with_outcomes(pk=screening.pk), generated_by=investigator, generated_at=timezone.now()
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "About Weight (kg)" in text
    assert "Which scale was used?" in text
    assert "Clinic scale, rechecked." in text
