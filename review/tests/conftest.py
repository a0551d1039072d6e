import pytest
from django.urls import reverse

from screening.tests.forms_data import eligible_payload


@pytest.fixture
def evaluated(client_for, coordinator, screening_for):
    """A function: an eligible screening entered and evaluated through the form as a coordinator would."""

    def make(**candidate):
        screening = screening_for(**candidate)
        client_for(coordinator).post(
            reverse("screening:edit", args=[screening.pk]), eligible_payload(screening) | {"action": "evaluate"}
        )
        screening.refresh_from_db()
        assert screening.verdict == "eligible"
        return screening

    return make
