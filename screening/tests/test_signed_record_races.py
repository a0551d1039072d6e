"""Races on real PostgreSQL transactions: an edit waiting behind a sign-off, two sign-offs, two coordinators with one
screening open, two registrations of one person. Each first request holds its transaction open so that the second
really waits for it; many rounds."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, make_user
from patients.models import Candidate
from patients.services import candidate_register
from screening import services
from screening.models import Medication, Screening, Signature
from screening.tests.forms_data import eligible_payload, set_rows, sign_as
from screening.tests.test_services import update_arguments
from trials import roles

ROUNDS = 8
HOLD_SECONDS = 0.4

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite serialises writers; the races need PostgreSQL (make test)"
)


def race(first, second):
    """Runs `first` in a transaction kept open HOLD_SECONDS after it returns, and `second` once `first` has done its
    work: (what each returned or raised)."""
    results, ready = {}, threading.Event()

    def run(name, work, hold):
        try:
            with transaction.atomic():
                results[name] = work()
                if hold:
                    ready.set()
                    time.sleep(HOLD_SECONDS)
        except Exception as error:
            results[name] = error
        finally:
            ready.set()
            connection.close()

    one = threading.Thread(target=run, args=("first", first, True))
    one.start()
    ready.wait(10)
    two = threading.Thread(target=run, args=("second", second, False))
    two.start()
    one.join()
    two.join()
    return results["first"], results["second"]


@pytest.fixture
def people(django_user_model, trial):
    """The services are called directly, so no role is needed (a transactional test starts with no groups)."""
    return {
        "coordinator": make_user(django_user_model, "racing-coordinator"),
        "investigator": make_user(django_user_model, "racing-investigator"),
        "second_investigator": make_user(django_user_model, "second-investigator"),
    }


def evaluated_screening(trial, coordinator, number):
    screening = services.screening_register(
        trial=trial,
        initials="RC",
        birth_date=f"19{50 + number}-01-01",
        sex="male",
        mrn="",
        cohort="phase1",
        screening_date=timezone.localdate(),
        coordinator=coordinator,
        confirm_new_person=True,
    )
    services.screening_update(screening=screening, evaluate=True, **update_arguments())
    return Screening.objects.get(pk=screening.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_edit_waiting_behind_a_sign_off_is_refused_every_time(trial, people):
    for number in range(ROUNDS):
        screening = evaluated_screening(trial, people["coordinator"], number)
        edit = update_arguments(medications=[{"name": "Lisinopril", "dose": "", "purpose": "", "active": True}])
        signed, edited = race(
            lambda screening=screening: sign_as(people["investigator"], screening),
            lambda screening=screening, edit=edit: services.screening_update(screening=screening, **edit),
        )
        assert isinstance(signed, Signature), signed
        assert isinstance(edited, ValidationError), f"round {number}: the edit landed on the signed screening"
        assert "signed and locked" in edited.messages[0]
        assert list(Medication.objects.filter(screening=screening).values_list("name", flat=True)) == ["Coumadin"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sign_offs_at_once_make_one_signature(trial, people):
    for number in range(ROUNDS):
        screening = evaluated_screening(trial, people["coordinator"], number)
        first, second = race(
            lambda screening=screening: sign_as(people["investigator"], screening),
            lambda screening=screening: sign_as(people["second_investigator"], screening),
        )
        assert isinstance(first, Signature)
        assert isinstance(second, ValidationError)
        assert "already signed" in second.messages[0]
        assert Signature.objects.filter(screening=screening).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_coordinators_saving_one_screening_at_once_lose_nothing(trial, people):
    for number in range(ROUNDS):
        screening = evaluated_screening(trial, people["coordinator"], number)
        opened = Screening.objects.get(pk=screening.pk).revision  # both have the form open at this revision
        mine = update_arguments(medications=[{"name": "Aspirin", "dose": "81 mg", "purpose": "", "active": True}])
        theirs = update_arguments(medications=[{"name": "Metformin", "dose": "500 mg", "purpose": "", "active": True}])
        first, second = race(
            lambda screening=screening, mine=mine, opened=opened: services.screening_update(
                screening=screening, revision=opened, **mine
            ),
            lambda screening=screening, theirs=theirs, opened=opened: services.screening_update(
                screening=Screening.objects.get(pk=screening.pk), revision=opened, **theirs
            ),
        )
        assert isinstance(first, Screening)
        assert isinstance(second, services.StaleEdit), f"round {number}: the second save replaced the first"
        assert list(Medication.objects.filter(screening=screening).values_list("name", flat=True)) == ["Aspirin"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("mine", "theirs", "refused_at"),
    [
        ({"mrn": "MRN-7"}, {"mrn": "MRN-7", "initials": "ZZ"}, "mrn"),  # one record number, two people
        ({}, {}, "confirm_new_person"),  # one person registered twice
    ],
)
def test_registrations_of_one_person_or_record_number_at_once_make_no_twins(people, mine, theirs, refused_at):
    for number in range(ROUNDS):
        person = {"initials": "TW", "birth_date": f"19{40 + number}-05-05", "sex": "female", "mrn": ""}
        mrn = {key: f"{value}-{number}" for key, value in mine.items() if key == "mrn"}
        first, second = race(
            lambda person=person, mrn=mrn: candidate_register(created_by=people["coordinator"], **person | mine | mrn),
            lambda person=person, mrn=mrn: candidate_register(
                created_by=people["coordinator"], **person | theirs | mrn
            ),
        )
        assert isinstance(first, Candidate)
        assert isinstance(second, ValidationError), f"round {number}: {second!r}"
        assert refused_at in second.message_dict
    assert Candidate.objects.filter(initials="TW").count() == ROUNDS


def logged_in(user):
    """A browser of its own for each person (client_for switches one client between users)."""
    client = Client()
    client.force_login(user)
    return client


def test_a_stale_form_is_refused_and_keeps_what_was_typed(coordinator, django_user_model, screening_for):
    """Two coordinators open the same screening; the first saves a medication; the second's save is refused, shows
    what the first changed, and keeps the second's entries on the page to save again."""
    other = make_user(django_user_model, "other-coordinator", roles.COORDINATOR)
    screening = screening_for()
    mine, theirs = logged_in(coordinator), logged_in(other)
    url = reverse("screening:edit", args=[screening.pk])
    opened_by_me = eligible_payload(screening) | {"action": "save"}
    opened_by_them = eligible_payload(screening) | {"action": "save"}
    set_rows(opened_by_me, "medication", [{"name": "Aspirin", "dose": "81 mg", "active": True}])
    set_rows(opened_by_them, "medication", [{"name": "Metformin", "dose": "500 mg", "active": True}])
    assert theirs.post(url, opened_by_them).status_code == 302
    response = mine.post(url, opened_by_me)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Nothing was saved: someone else saved this screening after you opened it." in page
    assert "Other-Coordinator Tester" in page
    assert "Medication created (Metformin 500 mg)" in page
    assert 'value="Aspirin"' in page  # what I typed, kept
    assert list(Medication.objects.filter(screening=screening).values_list("name", flat=True)) == ["Metformin"]
    revision = Screening.objects.get(pk=screening.pk).revision
    assert f'name="revision" value="{revision}"' in page  # saving again from here is not stale
    again = {key: value for key, value in opened_by_me.items()} | {"revision": revision}
    assert mine.post(url, again).status_code == 302
    assert list(Medication.objects.filter(screening=screening).values_list("name", flat=True)) == ["Aspirin"]


def test_signing_what_changed_after_the_sign_page_opened_is_refused(
    client_for, coordinator, investigator, screening_for
):
    from screening.tests.forms_data import reviewed_on_sign_page

    screening = screening_for()
    entering = logged_in(coordinator)
    entering.post(reverse("screening:edit", args=[screening.pk]), eligible_payload(screening) | {"action": "evaluate"})
    reviewer = logged_in(investigator)
    reviewed = reviewed_on_sign_page(reviewer, screening)
    # While the sign page is open, the coordinator changes the weight and evaluates again: still eligible.
    entering.post(
        reverse("screening:edit", args=[screening.pk]),
        eligible_payload(screening) | {"weight_kg": "71", "action": "evaluate"},
    )
    response = reviewer.post(
        reverse("screening:sign", args=[screening.pk]),
        {"meaning": "confirm_eligible", "password": PASSWORD, "reviewed": reviewed},
    )
    assert response.status_code == 400
    assert "The screening changed after you opened it: review it again before signing." in response.content.decode()
    assert not Signature.objects.exists()
    assert "71" in response.content.decode()  # the page now shows what a new attempt would sign
