"""Screenings entered through the form and evaluated, and a draft that lowers the platelet limit (IN17)."""

import pytest
from django.urls import reverse

from screening.tests.forms_data import eligible_payload
from trials.models import Criterion
from trials.services import criteria_version_create_amendment

# Platelets in 10^3/uL, and other changes to an eligible chart: what each seeded screening fails.
SEEDED = {
    "eligible": ({"platelets": ("210", "10^3/uL", "")}, {}),
    "low platelets": ({"platelets": ("80", "10^3/uL", "")}, {}),
    "just below 100": ({"platelets": ("99", "10^3/uL", "")}, {}),
    "low platelets and ECOG 3": ({"platelets": ("80", "10^3/uL", "")}, {"ecog": "3"}),
    "very low platelets": ({"platelets": ("70", "10^3/uL", "")}, {}),
    "not answered": ({"platelets": ("80", "10^3/uL", "")}, {"answer-grapefruit": ""}),
}


@pytest.fixture
def evaluate_entered(client_for, coordinator, screening_for):
    """A function: a screening entered through the form as the coordinator posts it, and evaluated."""

    def enter(labs=None, fields=None, initials="JMS"):
        screening = screening_for(initials=initials)
        data = eligible_payload(screening, labs=labs) | (fields or {}) | {"action": "evaluate"}
        response = client_for(coordinator).post(reverse("screening:edit", args=[screening.pk]), data)
        assert response.status_code == 302, "the screening form was not saved"
        screening.refresh_from_db()
        return screening

    return enter


@pytest.fixture
def seeded(evaluate_entered):
    """One evaluated screening per SEEDED row, by name."""
    return {
        name: evaluate_entered(labs, fields, initials=f"{chr(65 + i)}A")
        for i, (name, (labs, fields)) in enumerate(SEEDED.items())
    }


def lower_platelet_limit(draft, value=75, unit="10^9/L", summary="Platelets at least 75,000/mm3"):
    Criterion.objects.filter(version=draft, code="IN17").update(
        rule={"type": "lab_absolute", "analyte": "platelets", "op": ">=", "value": value, "unit": unit},
        summary=summary,
    )


@pytest.fixture
def platelet_draft(active_version):
    """Amendment 1: IN17 at 75 x10^9/L, its summary saying so."""
    draft = criteria_version_create_amendment(source=active_version)
    lower_platelet_limit(draft)
    return draft
