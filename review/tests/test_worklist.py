"""The home page's worklist: what waits for each role, oldest first, with how long it has waited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from review import services
from screening.models import Screening
from screening.tests.forms_data import sign_as
from trials import roles


def worklist(client):
    return client.get(reverse("home")).context["worklist"]


@pytest.fixture
def waited(evaluated):
    """Three evaluated screenings that have waited 3 days, 1 day and 1 hour since evaluation."""
    screenings = []
    for initials, waited_for in [("AA", timedelta(hours=1)), ("BB", timedelta(days=3)), ("CC", timedelta(days=1))]:
        screening = evaluated(initials=initials)
        Screening.objects.filter(pk=screening.pk).update(evaluated_at=timezone.now() - waited_for)
        screenings.append(screening)
    return screenings


def test_the_investigator_sees_screenings_awaiting_sign_off_oldest_first(client_for, investigator, waited):
    client = client_for(investigator)
    assert [s.pk for s in worklist(client)["awaiting_signoff"]] == [waited[1].pk, waited[2].pk, waited[0].pk]
    page = client.get(reverse("home")).content.decode()
    assert 'id="awaiting-count">3<' in page
    assert "3\xa0days" in page  # how long the oldest has waited
    assert reverse("screening:sign", args=[waited[1].pk]) in page


def test_a_signed_a_held_or_a_draft_screening_is_not_awaiting_sign_off(client_for, investigator, waited, screening_for):
    sign_as(investigator, waited[0])
    services.query_raise(screening=waited[1], user=investigator, target="field-ecog", text="ECOG 1 or 2?")
    screening_for(initials="DD")  # a draft
    assert [s.pk for s in worklist(client_for(investigator))["awaiting_signoff"]] == [waited[2].pk]


def test_an_investigator_does_not_get_what_they_entered_to_sign(client_for, django_user_model, waited):
    other = make_user(django_user_model, "other_pi", roles.INVESTIGATOR)
    Screening.objects.get(pk=waited[0].pk).history.update(history_user=other)
    assert waited[0].pk not in [s.pk for s in worklist(client_for(other))["awaiting_signoff"]]


def test_answered_queries_come_back_to_whoever_raised_them(
    client_for, investigator, coordinator, django_user_model, waited
):
    other = make_user(django_user_model, "other_pi", roles.INVESTIGATOR)
    mine = services.query_raise(screening=waited[0], user=investigator, target="field-ecog", text="ECOG?")
    theirs = services.query_raise(screening=waited[1], user=other, target="field-ecog", text="ECOG?")
    waiting = services.query_raise(screening=waited[2], user=investigator, target="lab-platelets", text="Date?")
    services.query_answer(query=mine, user=coordinator, text="1")
    services.query_answer(query=theirs, user=coordinator, text="1")
    listed = worklist(client_for(investigator))
    assert [q.pk for q in listed["answered"]] == [mine.pk]
    assert [q.pk for q in listed["waiting"]] == [waiting.pk]
    sign_as(investigator, waited[0])
    listed = worklist(client_for(investigator))
    assert listed["answered"] == []  # signing closed it
    assert [s.screening_id for s in listed["recent_signoffs"]] == [waited[0].pk]


def test_the_coordinator_sees_the_queries_to_answer_on_their_screenings(
    client_for, investigator, coordinator, django_user_model, waited, screening_for
):
    other = make_user(django_user_model, "other_crc", roles.COORDINATOR)
    theirs = screening_for(user=other, initials="EE")
    on_mine = services.query_raise(screening=waited[0], user=investigator, target="field-ecog", text="ECOG?")
    services.query_raise(screening=theirs, user=investigator, target="field-ecog", text="ECOG?")
    answered = services.query_raise(screening=waited[1], user=investigator, target="field-ecog", text="ECOG?")
    services.query_answer(query=answered, user=coordinator, text="1")
    client = client_for(coordinator)
    assert [q.pk for q in worklist(client)["to_answer"]] == [on_mine.pk]
    page = client.get(reverse("home")).content.decode()
    assert reverse("screening:edit", args=[waited[0].pk]) + f"#query-{on_mine.pk}" in page
    assert 'id="awaiting-signoff"' not in page  # not a coordinator's part


@pytest.mark.parametrize("persona", ["administrator", "outsider"])
def test_roles_that_neither_sign_nor_answer_get_no_worklist(request, client_for, persona, waited):
    client = client_for(request.getfixturevalue(persona))
    assert worklist(client)["shown"] is False
    assert 'id="worklist"' not in client.get(reverse("home")).content.decode()
