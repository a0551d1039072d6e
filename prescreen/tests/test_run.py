"""A run over a small real export, in this process: each patient's row as their records say (checked by hand), the
funnel against evaluating each patient one by one through the FHIR import, and what makes a chunk count once."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ehr.selectors import sections_to_confirm
from ehr.services import ehr_import, ehr_section_confirm
from prescreen import selectors, services
from prescreen.evaluation import Evaluator
from prescreen.models import PrescreenAccess, PrescreenChunk, PrescreenResult, PrescreenRun, RetentionPolicy
from prescreen.partition import patient_of
from prescreen.tests.conftest import FLETCHER, REFERENCE_DATE, TOM, YVONE, three_patient_resources
from screening.services import screening_evaluate

pytestmark = pytest.mark.django_db


def rows_by_patient(run):
    return {row.patient_id: row for row in run.results.all()}


def summaries_met(row, run):
    summaries = dict(selectors.run_criteria(run))
    return {summaries[code] for code, status in row.statuses.items() if status == "met"}


def test_each_patient_of_a_real_export_gets_the_row_their_records_give(run_in_process):
    run = run_in_process()
    assert (run.status, run.patients_total, run.patients_done, run.chunks_done) == ("done", 3, 3, 1)
    assert run.resources_read == 1478
    assert run.resources_kept == 898
    rows = rows_by_patient(run)
    tom, fletcher, yvone = rows[TOM], rows[FLETCHER], rows[YVONE]
    # Who: from each Patient resource (Synthea writes the MRN as an identifier of type MR).
    assert (tom.name, str(tom.birth_date), tom.sex) == ("Tom Goodwin", "1968-04-30", "male")
    assert tom.mrn == "e20de9eb-6f2d-4871-a43f-bbede53293ed"  # Synthea's MRNs are UUIDs
    assert (yvone.sex, str(yvone.birth_date)) == ("female", "1963-07-15")
    # Fletcher Hyatt's chart has "1 ML DOCEtaxel 20 MG/ML Injection" prescribed in 1975 and never stopped (status
    # active): a concurrent anticancer agent. Nothing else in his records fails.
    assert fletcher.get_standing_display() == "Failed"
    assert [item["code"] for item in fletcher.failed] == ["EX14"]
    assert "DOCEtaxel" in fletcher.failed[0]["reason"]
    # Tom Goodwin's panel of 2020-05-12 (28 days before the reference date): platelets 295 x10^3/uL, ALT 23 and AST
    # 22 U/L, bilirubin 0.12 mg/dL. Nothing fails; what the chart does not hold is left to collect.
    assert tom.get_standing_display() == "Nothing failed"
    assert tom.failed == []
    met = summaries_met(tom, run)
    assert any("18 or older" in summary for summary in met)
    assert any("Platelets" in summary or "platelet" in summary.lower() for summary in met)
    assert "Melanoma confirmed histologically or cytologically" in tom.to_collect  # no melanoma in his chart
    assert "Absolute neutrophil count result (or the WBC and neutrophil %)" in tom.to_collect  # no differential
    assert tom.to_collect_count == len(tom.to_collect)
    # The questions of the screening visit are apart: no chart holds them.
    assert any("grapefruit" in question for question in tom.to_ask)
    assert not any("grapefruit" in item for item in tom.to_collect)
    # Ranked: nothing failed, fewest facts to collect first; the failed last.
    assert [row.patient_id for row in selectors.results(run)][-1] == FLETCHER
    assert [row.patient_id for row in selectors.results(run)][:2] == sorted(
        [TOM, YVONE], key=lambda key: rows[key].to_collect_count
    )


def test_filters_by_standing_and_by_criterion(run_in_process):
    run = run_in_process()
    assert [r.patient_id for r in selectors.results(run, criterion="EX14", status="not_met")] == [FLETCHER]
    # EX14 also asks at the visit about anticancer therapy not on the medication list: undecided for the others.
    assert {r.patient_id for r in selectors.results(run, criterion="EX14", status="unknown")} == {TOM, YVONE}
    assert not selectors.results(run, criterion="EX14", status="met").exists()
    assert selectors.results(run, criterion="EX14").count() == 3
    assert [r.patient_id for r in selectors.results(run, standing=PrescreenResult.Standing.FAILED)] == [FLETCHER]
    assert selectors.results(run, standing=PrescreenResult.Standing.TOO_LITTLE_DATA).count() == 0


def test_a_patient_whose_records_give_nothing_as_of_the_date_has_too_little_data(run_in_process, tmp_path):
    """Tom Goodwin in 1990: his records of that time hold nothing the criteria read (his labs are of 2016-2020)."""
    from prescreen.tests.conftest import FHIR, bundle_resources, write_export

    folder = write_export(tmp_path / "tom", bundle_resources(FHIR / "synthea_tom_goodwin.json"))
    run = run_in_process(folder, reference_date=REFERENCE_DATE.replace(year=1990))
    row = run.results.get()
    assert row.get_standing_display() == "Too little data"


def one_by_one_statuses(run, coordinator, screening_for):
    """Each patient of the export imported alone into a screening dated the reference date, its sections confirmed,
    and evaluated: the path a coordinator takes, patient by patient."""
    by_patient = {}
    for resource in three_patient_resources():
        key = resource["id"] if resource["resourceType"] == "Patient" else patient_of(resource)
        if key:
            by_patient.setdefault(key, []).append(resource)
    statuses = {}
    for key, resources in by_patient.items():
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        screening = screening_for(
            birth_date=timezone.datetime.fromisoformat(patient["birthDate"]).date(),
            sex=patient["gender"],
            cohort=run.cohort,
            screening_date=run.reference_date,
        )
        lines = b"\n".join(json.dumps(r).encode() for r in resources)
        ehr_import(screening=screening, user=coordinator, files=[("records.ndjson", lines)])
        for section in sections_to_confirm(screening):
            ehr_section_confirm(screening=screening, section=section, user=coordinator)
        _, result = screening_evaluate(screening=screening)
        statuses[key] = {criterion.code: criterion.status for criterion in result.criteria}
    return statuses


def test_the_funnel_counts_equal_evaluating_the_same_patients_one_by_one(run_in_process, coordinator, screening_for):
    run = run_in_process()
    alone = one_by_one_statuses(run, coordinator, screening_for)
    assert {row.patient_id: row.statuses for row in run.results.all()} == alone
    funnel = selectors.funnel(run)
    assert funnel["evaluated"] == 3
    remaining = set(alone)
    for row in funnel["criteria"]:
        for status in ("met", "not_met", "unknown", "not_applicable"):
            assert row[status] == sum(1 for s in alone.values() if s[row["code"]] == status), (row["code"], status)
        remaining -= {key for key in remaining if alone[key][row["code"]] == "not_met"}
        assert row["remaining"] == len(remaining), row["code"]
    assert funnel["criteria"][-1]["remaining"] == 2


def test_a_chunk_delivered_again_after_it_is_done_counts_nothing_twice(run_in_process):
    run = run_in_process()
    chunk = run.chunks.get()
    assert services.chunk_evaluate(chunk_id=chunk.pk) == 0
    run.refresh_from_db()
    assert (run.patients_done, run.results.count(), run.chunks_done) == (3, 3, 1)


def test_a_cancelled_run_does_no_more_chunks_and_keeps_what_was_done(start_run, investigator, settings):
    settings.PRESCREEN_CHUNK_PATIENTS = 1
    run = start_run()  # not committed here, so nothing was sent: the chunks wait
    assert run.chunks_total == 3
    first = run.chunks.order_by("number").first()
    assert services.chunk_evaluate(chunk_id=first.pk) == 1
    services.prescreen_cancel(run=run, user=investigator)
    for chunk in run.chunks.all():
        assert services.chunk_evaluate(chunk_id=chunk.pk) == 0
    run.refresh_from_db()
    assert (run.status, run.patients_done, run.results.count()) == ("cancelled", 1, 1)
    assert set(run.chunks.values_list("status", flat=True)) == {"done", "cancelled"}
    assert PrescreenAccess.objects.filter(run_number=run.pk, action="cancelled", user=investigator).exists()
    with pytest.raises(Exception, match="already cancelled"):
        services.prescreen_cancel(run=run, user=investigator)


def test_one_patient_whose_records_cannot_be_evaluated_does_not_stop_the_run(run_in_process, monkeypatch):
    evaluate = Evaluator.evaluate

    def failing_for_tom(self, resources):
        if resources[0]["id"] == TOM:
            raise KeyError("valueQuantity")
        return evaluate(self, resources)

    monkeypatch.setattr(Evaluator, "evaluate", failing_for_tom)
    run = run_in_process()
    tom = run.results.get(patient_id=TOM)
    assert (run.status, run.patients_done) == ("done", 3)
    assert tom.problem == "The records could not be read (KeyError)."
    assert tom.get_standing_display() == "Too little data"
    assert selectors.funnel(run)["evaluated"] == 2


def test_runs_past_the_retention_period_are_deleted_with_their_data_and_the_deletion_is_recorded(run_in_process):
    RetentionPolicy.objects.update_or_create(pk=1, defaults={"retention_days": 7})
    old, recent = run_in_process(), run_in_process()
    PrescreenRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=7, minutes=1))
    PrescreenRun.objects.filter(pk=recent.pk).update(started_at=timezone.now() - timedelta(days=6, hours=23))
    assert services.prescreen_sweep()["deleted"] == 1
    assert list(PrescreenRun.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not PrescreenChunk.objects.filter(run_id=old.pk).exists()
    assert not PrescreenResult.objects.filter(run_id=old.pk).exists()
    deleted = PrescreenAccess.objects.get(run_number=old.pk, action="deleted")
    assert deleted.user is None
    assert PrescreenAccess.objects.filter(run_number=old.pk, action="started").exists()  # the audit outlives the run


def test_a_stalled_run_has_its_chunks_sent_again(start_run, settings, monkeypatch):
    sent = []
    monkeypatch.setattr("prescreen.tasks.evaluate_chunk.apply_async", lambda args, **options: sent.append(args))
    run = start_run()
    assert services.prescreen_sweep()["resent"] == 0  # it has only just started
    PrescreenRun.objects.filter(pk=run.pk).update(
        progressed_at=timezone.now() - timedelta(seconds=settings.PRESCREEN_RESEND_AFTER_SECONDS + 1)
    )
    assert services.prescreen_sweep()["resent"] == 1
    assert sent == [(run.chunks.get().pk,)]


def test_a_chunk_of_a_run_deleted_meanwhile_is_left_alone(start_run):
    run = start_run()
    chunk_id = run.chunks.get().pk
    run.delete()
    assert services.chunk_evaluate(chunk_id=chunk_id) == 0
