"""Each screening has its own readable number (SCR-0001-2: the candidate's second), shown wherever screenings are
listed; the candidate keeps theirs."""

import csv
import io
import threading
import time

import pgtrigger
import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from patients.models import Candidate
from screening import services
from screening.models import Screening, Signature


def screen_again(screening, coordinator):
    return services.screening_start(
        candidate=screening.candidate,
        trial=screening.trial,
        cohort="phase2",
        screening_date=timezone.localdate(),
        coordinator=coordinator,
    )


def test_two_screenings_of_one_candidate_have_their_own_numbers(screening_for, coordinator):
    first = screening_for()
    second = screen_again(first, coordinator)
    number = first.candidate.screening_number
    assert (first.number, second.number) == (f"{number}-1", f"{number}-2")
    services.screening_evaluate(screening=second)
    with pgtrigger.ignore():  # a signature made directly: only the number of the correction matters here
        Signature.objects.create(screening=second, signer=coordinator, signed_at=timezone.now(), content_hash="0")
    correction = services.screening_start_correction(screening=second, coordinator=coordinator)
    assert correction.number == f"{number}-3"


def test_the_log_and_its_exports_tell_the_screenings_apart(screening_for, coordinator, client_for, investigator):
    first = screening_for()
    second = screen_again(first, coordinator)
    client = client_for(investigator)
    page = client.get(reverse("review:log")).content.decode()
    assert f">{first.number}</a>" in page
    assert f">{second.number}</a>" in page
    export = b"".join(client.get(reverse("review:log_export_csv")).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(export)))
    assert sorted(row["screening_number"] for row in rows) == [first.number, second.number]
    assert {row["candidate_number"] for row in rows} == {first.candidate.screening_number}
    found = client.get(reverse("review:log"), {"q": second.number}).content.decode()
    assert f">{second.number}</a>" in found
    assert f">{first.number}</a>" not in found


def test_searching_for_a_screening_number_finds_the_candidate(screening_for, coordinator, client_for):
    second = screen_again(screening_for(), coordinator)
    page = client_for(coordinator).get(reverse("screening:home"), {"q": second.number}).content.decode()
    assert reverse("patients:detail", args=[second.candidate.pk]) in page


def start_screening(candidate, trial, coordinator, *, numbers, errors, started, hold):
    """Starts a screening in a transaction; with `hold`, keeps the transaction open half a second after."""
    try:
        with transaction.atomic():
            screening = services.screening_start(
                candidate=candidate,
                trial=trial,
                cohort="phase1",
                screening_date=timezone.localdate(),
                coordinator=coordinator,
            )
            numbers.append(screening.number)
            if hold:
                started.set()
                time.sleep(0.5)
    except Exception as error:
        errors.append(error)
        started.set()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_screenings_started_at_once_for_one_candidate_never_share_a_number(trial, django_user_model):
    """The first start holds its transaction open after choosing its number; the second, started meanwhile, must
    wait for it rather than choose the same number."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL (make test)")
    coordinator = django_user_model.objects.create_user("racer")
    candidate = Candidate.objects.create(
        screening_number="SCR-9001", initials="RC", birth_date="1970-01-01", sex="male", created_by=coordinator
    )
    for _ in range(5):
        state = {"numbers": [], "errors": [], "started": threading.Event()}
        holder = threading.Thread(
            target=start_screening, args=(candidate, trial, coordinator), kwargs=state | {"hold": True}
        )
        holder.start()
        state["started"].wait(10)
        follower = threading.Thread(
            target=start_screening, args=(candidate, trial, coordinator), kwargs=state | {"hold": False}
        )
        follower.start()
        holder.join()
        follower.join()
        assert state["errors"] == []
        assert len(set(state["numbers"])) == 2
    assert Screening.objects.filter(candidate=candidate).count() == 10
    assert sorted(Screening.objects.values_list("number", flat=True), key=lambda n: int(n.rsplit("-", 1)[1])) == [
        f"SCR-9001-{n}" for n in range(1, 11)
    ]
