import pytest
from django.urls import reverse

from screening.tests.forms_data import eligible_payload, sign_as


@pytest.fixture
def evaluated_signed(client_for, coordinator, investigator, screening_for):
    """An eligible screening entered through the form and signed."""
    screening = screening_for()
    client_for(coordinator).post(
        reverse("screening:edit", args=[screening.pk]), eligible_payload(screening) | {"action": "evaluate"}
    )
    sign_as(investigator, screening)
    return screening
