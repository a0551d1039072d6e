"""Service functions: create, update, evaluate; each whole or not at all."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from patients.models import Candidate
from patients.services import candidate_create
from screening import services
from screening.models import Medication, Screening
from screening.tests.forms_data import sign_as
from trials import services as trial_services
from trials.models import Analyte, CriteriaVersion


def test_screening_numbers_are_readable_and_sequential(coordinator, active_version, screening_for):
    first, second = screening_for().candidate, screening_for().candidate
    assert first.screening_number == f"SCR-{first.pk:04d}"
    assert second.screening_number == f"SCR-{second.pk:04d}"
    assert second.pk == first.pk + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_coordinators_saving_at_once_get_different_numbers(django_user_model):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL (make test)")
    users = [django_user_model.objects.create_user(f"coordinator{i}") for i in range(2)]
    barrier, numbers, errors = threading.Barrier(2), [], []

    def register(user):
        try:
            barrier.wait()
            numbers.append(
                candidate_create(initials="AB", birth_date="1970-01-01", sex="male", created_by=user).screening_number
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(numbers)) == 2
    assert Candidate.objects.count() == 2


def test_a_screening_keeps_the_version_it_started_with(coordinator, active_version, screening_for, publish):
    screening = screening_for()
    draft = trial_services.criteria_version_create_amendment(source=active_version)
    publish(draft)
    screening.refresh_from_db()
    assert screening.criteria_version == active_version
    assert screening_for().criteria_version == draft


def test_starting_without_an_active_version_is_refused(coordinator, active_version, screening_for):
    CriteriaVersion.objects.update(status="retired")
    with pytest.raises(ValidationError, match="no active criteria version"):
        screening_for()


def update_arguments(**changes):
    arguments = {
        "fields": {"weight_kg": Decimal("70"), "ecog": 1, "medications_taken": "yes"},
        "answers": {"bleeding_diathesis": False, "histology_confirmed": None},
        "labs": {},
        "blood_pressures": [],
        "therapies": [],
        "medications": [{"name": "Coumadin", "dose": "5 mg", "purpose": "therapeutic", "active": True}],
        "lesions": [],
    }
    return arguments | changes


def test_update_replaces_the_entries_and_drops_unanswered_questions(screening_for):
    screening = screening_for()
    anc = Analyte.objects.get(code="anc")
    services.screening_update(
        screening=screening,
        **update_arguments(labs={anc: {"value": Decimal("1.2"), "unit": "10^3/uL", "uln": None, "collected_on": None}}),
    )
    screening.refresh_from_db()
    assert screening.weight_kg == 70
    assert screening.answers == {"bleeding_diathesis": False}
    assert screening.labs.get().value == Decimal("1.2")
    services.screening_update(screening=screening, **update_arguments(medications=[]))
    assert not screening.medications.exists()
    assert not screening.labs.exists()


def test_an_update_that_fails_part_way_saves_nothing(screening_for):
    screening = screening_for()
    anc = Analyte.objects.get(code="anc")
    broken = {anc: {"value": None, "unit": "10^3/uL", "uln": None, "collected_on": None}}
    with pytest.raises(IntegrityError):
        services.screening_update(screening=screening, **update_arguments(labs=broken))
    screening.refresh_from_db()
    assert screening.weight_kg is None
    assert not screening.medications.exists()


def test_evaluate_stores_one_outcome_per_criterion_and_the_verdict(screening_for):
    screening = screening_for()
    services.screening_update(screening=screening, **update_arguments())
    screening, result = services.screening_evaluate(screening=screening)
    assert screening.status == "evaluated"
    assert screening.verdict == result.verdict.value == "ineligible"
    outcomes = list(screening.outcomes.all())
    assert [o.code for o in outcomes] == [c.code for c in result.criteria]
    warfarin = screening.outcomes.get(code="EX15")
    assert warfarin.status == "not_met"
    assert "Coumadin 5 mg" in warfarin.reason
    ecog_missing = screening.outcomes.get(code="IN16").missing
    assert ecog_missing == [
        {"field": "lab:anc", "label": "Absolute neutrophil count result (or the WBC and neutrophil %)"}
    ]


def test_an_update_can_evaluate_in_the_same_step(screening_for):
    screening = screening_for()
    versions = Screening.history.filter(id=screening.pk).count()
    saved = services.screening_update(screening=screening, evaluate=True, **update_arguments())
    assert (saved.status, saved.verdict) == ("evaluated", "ineligible")
    assert saved.outcomes.get(code="EX15").status == "not_met"
    assert Screening.history.filter(id=screening.pk).count() == versions + 1  # one save, already evaluated


def test_an_update_without_evaluating_clears_the_verdict(screening_for):
    screening = screening_for()
    services.screening_update(screening=screening, evaluate=True, **update_arguments())
    saved = services.screening_update(screening=screening, **update_arguments())
    assert (saved.status, saved.verdict, saved.evaluated_at) == ("draft", "", None)
    assert not saved.outcomes.exists()


def test_evaluating_after_a_correction_replaces_only_the_outcomes_that_changed(screening_for):
    screening = screening_for()
    services.screening_update(screening=screening, evaluate=True, **update_arguments())
    before = dict(screening.outcomes.values_list("code", "pk"))
    services.screening_update(screening=screening, evaluate=True, **update_arguments(medications=[]))
    after = dict(screening.outcomes.values_list("code", "pk"))
    assert sorted(after) == sorted(before)
    changed = {code for code in after if after[code] != before[code]}
    assert "EX15" in changed  # the warfarin criterion is met now
    assert "IN01" not in changed
    assert screening.outcomes.get(code="EX15").status == "met"
    services.screening_evaluate(screening=screening)
    assert dict(screening.outcomes.values_list("code", "pk")) == after


def test_changing_one_row_leaves_the_others_as_they_were(screening_for):
    screening = screening_for()
    lines = [
        {"name": "Coumadin", "dose": "5 mg", "purpose": "therapeutic", "active": True},
        {"name": "Lisinopril", "dose": "10 mg", "purpose": "", "active": True},
    ]
    services.screening_update(screening=screening, **update_arguments(medications=lines))
    lisinopril = screening.medications.get(name="Lisinopril").pk
    services.screening_update(
        screening=screening, **update_arguments(medications=[lines[1], {**lines[0], "dose": "3 mg"}])
    )
    assert sorted(screening.medications.values_list("name", "dose")) == [("Coumadin", "3 mg"), ("Lisinopril", "10 mg")]
    assert screening.medications.get(name="Lisinopril").pk == lisinopril
    changes = Medication.history.filter(screening_id=screening.pk).values_list("name", "dose", "history_type")
    assert sorted(changes) == sorted(
        [("Coumadin", "5 mg", "+"), ("Lisinopril", "10 mg", "+"), ("Coumadin", "5 mg", "-"), ("Coumadin", "3 mg", "+")]
    )


def test_a_screening_signed_since_the_form_was_opened_is_not_changed(screening_for, investigator):
    opened = screening_for()
    services.screening_update(screening=opened, evaluate=True, **update_arguments())
    signed = Screening.objects.get(pk=opened.pk)
    sign_as(investigator, signed)
    with pytest.raises(ValidationError, match="signed and locked"):
        services.screening_update(screening=opened, evaluate=True, **update_arguments(medications=[]))
    assert Screening.objects.get(pk=opened.pk).medications.get().name == "Coumadin"


def test_evaluating_reads_the_entries_stored_now_not_those_of_an_older_copy(screening_for):
    older_copy = screening_for()
    services.screening_update(screening=Screening.objects.get(pk=older_copy.pk), **update_arguments())
    screening, _ = services.screening_evaluate(screening=older_copy)
    assert screening.outcomes.get(code="EX15").status == "not_met"  # the Coumadin saved after the copy was read
    assert screening.weight_kg == 70


def test_evaluating_again_replaces_the_outcomes(screening_for):
    screening = screening_for()
    services.screening_evaluate(screening=screening)
    services.screening_evaluate(screening=screening)
    assert Screening.objects.get(pk=screening.pk).outcomes.count() == 41
