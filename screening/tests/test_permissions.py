"""Coordinators screen; investigators read but never edit; identifiers only for the roles that need them."""

import pytest
from django.urls import reverse

from screening.tests.forms_data import eligible_payload


@pytest.fixture
def evaluated(client_for, coordinator, screening_for):
    screening = screening_for(mrn="MRN-4242")
    client_for(coordinator).post(
        reverse("screening:edit", args=[screening.pk]), eligible_payload(screening) | {"action": "evaluate"}
    )
    client_for(coordinator).logout()
    return screening


@pytest.mark.parametrize(
    ("persona", "name", "status"),
    [
        ("coordinator", "screening:home", 200),
        ("coordinator", "screening:new", 200),
        ("coordinator", "screening:edit", 200),
        ("coordinator", "screening:detail", 200),
        ("coordinator", "patients:detail", 200),
        ("investigator", "screening:home", 200),
        ("investigator", "screening:new", 403),
        ("investigator", "screening:edit", 403),
        ("investigator", "screening:detail", 200),
        ("investigator", "patients:detail", 200),
        ("investigator", "screening:medication_match", 403),
        ("administrator", "screening:detail", 200),
        ("administrator", "screening:edit", 403),
        ("outsider", "screening:home", 403),
        ("outsider", "screening:detail", 403),
        ("outsider", "patients:detail", 403),
    ],
)
def test_who_may_open_what(request, client_for, evaluated, persona, name, status):
    args = {"screening:home": [], "screening:new": [], "patients:detail": [evaluated.candidate.pk]}.get(
        name, [evaluated.pk]
    )
    response = client_for(request.getfixturevalue(persona)).get(reverse(name, args=args))
    assert response.status_code == status


def test_an_investigator_cannot_change_a_screening(client_for, investigator, evaluated):
    client = client_for(investigator)
    response = client.post(
        reverse("screening:edit", args=[evaluated.pk]), eligible_payload(evaluated) | {"weight_kg": "99"}
    )
    assert response.status_code == 403
    evaluated.refresh_from_db()
    assert evaluated.weight_kg == 68
    assert (
        client.post(reverse("patients:rescreen", args=[evaluated.candidate.pk]), {"cohort": "phase1"}).status_code
        == 403
    )


def test_investigators_see_results_without_edit_buttons(client_for, investigator, evaluated):
    page = client_for(investigator).get(reverse("screening:detail", args=[evaluated.pk])).content.decode()
    assert "Eligible" in page
    assert "Edit entries" not in page


def test_medical_record_numbers_are_shown_only_to_roles_that_need_them(
    client_for, coordinator, investigator, evaluated
):
    url = reverse("patients:detail", args=[evaluated.candidate.pk])
    assert "MRN-4242" in client_for(coordinator).get(url).content.decode()
    assert "MRN-4242" not in client_for(investigator).get(url).content.decode()


def test_search_by_mrn_only_for_roles_that_see_it(client_for, coordinator, investigator, evaluated):
    number = evaluated.candidate.screening_number
    found = client_for(coordinator).get(reverse("screening:home"), {"q": "MRN-4242"}).content.decode()
    assert number in found
    hidden = client_for(investigator).get(reverse("screening:home"), {"q": "MRN-4242"}).content.decode()
    assert "No candidate matches" in hidden
    by_number = client_for(investigator).get(reverse("screening:home"), {"q": number}).content.decode()
    assert reverse("patients:detail", args=[evaluated.candidate.pk]) in by_number


def test_no_list_of_every_candidate_without_a_search(client_for, investigator, screening_for):
    for initials in ("AA", "BB", "CC"):
        screening_for(initials=initials)
    page = client_for(investigator).get(reverse("screening:home")).content.decode()
    assert "Candidates matching" not in page
