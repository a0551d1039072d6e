"""Writes for pre-screen runs: start one from a bulk export, evaluate a chunk (in a worker), cancel, turn a result into
a candidate and a prefilled draft screening, record who looked, and the sweep (retention, lost messages).

A run is a group of chunk tasks; the chord's part, closing the run when its last chunk is in, is done in the database:
each chunk's results, its "done" and the run's counters commit together, under the run's lock, so a chunk redone
after its worker was killed, or delivered twice, never counts a patient twice, and no result backend is needed."""

import logging
import tempfile
from datetime import timedelta

import lz4.frame
import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.garbage import no_cyclic_garbage_collection
from ehr.services import ehr_import
from patients.models import Candidate
from patients.services import candidate_register
from prescreen.evaluation import Evaluator, PatientOutcome, patient_identity
from prescreen.models import PrescreenAccess, PrescreenChunk, PrescreenResult, PrescreenRun, RetentionPolicy
from prescreen.partition import partition, patient_of
from referrals.models import Referral
from referrals.services import referral_create, referral_start_screening
from screening.rules.engine import COHORTS
from trials.models import CriteriaVersion

logger = logging.getLogger(__name__)


def prescreen_start(*, user, trial, sources, reference_date, cohort):
    """Read the export into chunks and start the run on the trial's active criteria version; the chunks are sent to
    the workers once the run is committed. Nothing is saved if the export cannot be read."""
    if cohort not in COHORTS:
        raise ValidationError({"cohort": "Choose the cohort the patients would be screened for."})
    version = CriteriaVersion.objects.filter(trial=trial, status=CriteriaVersion.Status.ACTIVE).first()
    if version is None:
        raise ValidationError(f"{trial.nct_id} has no active criteria version; an administrator must publish one.")
    with tempfile.TemporaryDirectory(prefix="prescreen-") as directory:
        found = partition(sources, chunk_size=settings.PRESCREEN_CHUNK_PATIENTS, directory=directory)
        with transaction.atomic():
            run = PrescreenRun.objects.create(
                criteria_version=version,
                cohort=cohort,
                reference_date=reference_date,
                description=_described(found.types),
                started_by=user,
                patients_total=len(found.patients),
                chunks_total=len(found.per_chunk),
                resources_read=found.resources_read,
                resources_kept=found.resources_kept,
                problems=[{"problem": problem, "count": count} for problem, count in found.problems.most_common()],
            )
            for number, patients, records in found.chunk_records():
                PrescreenChunk.objects.create(
                    run=run, number=number, patients=patients, records=lz4.frame.compress(records)
                )
            prescreen_access_record(run=run, user=user, action=PrescreenAccess.Action.STARTED)
            transaction.on_commit(lambda: chunks_send(run_id=run.pk))
    return run


def _described(types):
    listed = ", ".join(f"{kind} {count:,}" for kind, count in sorted(types.items()))
    return f"FHIR bulk export: {listed}"[:300]


def chunks_send(*, run_id):
    """Hand the run's pending chunks to the broker. Never raises: a chunk that could not be sent is sent again by the
    sweeper, and a chunk sent twice is done once."""
    from prescreen.tasks import evaluate_chunk

    pending = PrescreenChunk.objects.filter(run_id=run_id, status=PrescreenChunk.Status.PENDING).values_list(
        "pk", flat=True
    )
    try:
        for chunk_id in pending:
            evaluate_chunk.apply_async((chunk_id,), retry=False)
    except Exception:  # the broker is away: the sweeper sends them when it is back
        logger.warning("Pre-screen run %s: chunks could not be sent; the sweeper will send them", run_id, exc_info=True)
        return False
    return True


def chunk_evaluate(*, chunk_id):
    """Evaluate one chunk's patients and store their results. The work is done outside any transaction; only the
    first to commit a chunk's results counts (a second delivery, or a chunk of a cancelled run, stores nothing)."""
    taken = PrescreenChunk.objects.filter(
        pk=chunk_id, status=PrescreenChunk.Status.PENDING, run__status=PrescreenRun.Status.RUNNING
    ).update(attempts=F("attempts") + 1)
    if not taken:
        return 0
    chunk = PrescreenChunk.objects.select_related("run__criteria_version").filter(pk=chunk_id).first()
    if chunk is None:  # the run was deleted meanwhile
        return 0
    evaluator = Evaluator.for_run(chunk.run)
    with no_cyclic_garbage_collection():  # a chunk's records and their validation: many objects, no cycles to free
        results = [
            _result(chunk, key, resources, evaluator)
            for key, resources in patients_of(lz4.frame.decompress(chunk.records))
        ]
    with transaction.atomic():
        run = (
            PrescreenRun.objects.select_for_update().filter(pk=chunk.run_id).first()
        )  # the run first, as a cancel does
        chunk = PrescreenChunk.objects.select_for_update().filter(pk=chunk_id).first()
        if chunk is None or chunk.status != PrescreenChunk.Status.PENDING or run.status != PrescreenRun.Status.RUNNING:
            return 0
        PrescreenResult.objects.bulk_create(results)
        now = timezone.now()
        PrescreenChunk.objects.filter(pk=chunk_id).update(status=PrescreenChunk.Status.DONE, done_at=now)
        run.patients_done += len(results)
        run.chunks_done += 1
        run.progressed_at = now
        if run.chunks_done == run.chunks_total:
            run.status, run.finished_at = PrescreenRun.Status.DONE, now
        run.save(update_fields=["patients_done", "chunks_done", "progressed_at", "status", "finished_at"])
    return len(results)


def patients_of(records):
    """(patient id, [resources]) in the order the patients came, each with its Patient first."""
    patients = {}
    for line in records.splitlines():
        resource = orjson.loads(line)
        key = resource["id"] if resource.get("resourceType") == "Patient" else patient_of(resource)
        patients.setdefault(str(key), []).append(resource)
    return list(patients.items())


def _result(chunk, key, resources, evaluator):
    patient = resources[0]
    try:
        outcome = evaluator.evaluate(resources)
    except Exception as error:  # one patient's unreadable records must not stop the run: the row says so
        logger.warning("Pre-screen run %s: patient records could not be evaluated", chunk.run_id, exc_info=True)
        outcome = PatientOutcome(
            standing=PrescreenResult.Standing.TOO_LITTLE_DATA,
            statuses={},
            failed=[],
            unknown=[],
            to_collect=[],
            to_ask=[],
            problem=f"The records could not be read ({type(error).__name__}).",
        )
    return PrescreenResult(
        run_id=chunk.run_id,
        chunk=chunk,
        patient_id=key[:64],
        **patient_identity(patient),
        standing=outcome.standing,
        failed_count=len(outcome.failed),
        to_collect_count=len(outcome.to_collect),
        statuses=outcome.statuses,
        failed=outcome.failed,
        unknown=outcome.unknown,
        to_collect=outcome.to_collect,
        to_ask=outcome.to_ask,
        problem=outcome.problem,
    )


@transaction.atomic
def prescreen_cancel(*, run, user):
    run = PrescreenRun.objects.select_for_update().get(pk=run.pk)
    if run.status != PrescreenRun.Status.RUNNING:
        raise ValidationError(f"This run is already {run.get_status_display().lower()}.")
    run.status, run.finished_at, run.cancelled_by = PrescreenRun.Status.CANCELLED, timezone.now(), user
    run.save(update_fields=["status", "finished_at", "cancelled_by"])
    run.chunks.filter(status=PrescreenChunk.Status.PENDING).update(status=PrescreenChunk.Status.CANCELLED)
    prescreen_access_record(run=run, user=user, action=PrescreenAccess.Action.CANCELLED)
    return run


@transaction.atomic
def prescreen_result_screen(*, result, user):
    """The patient of a result becomes a candidate (referred from the pre-screen) with a draft screening, prefilled
    from the same records by the FHIR import. Done once: a second click opens the same screening."""
    result = (
        PrescreenResult.objects.select_for_update().select_related("run__criteria_version__trial").get(pk=result.pk)
    )
    if result.screening_id:
        return result.screening
    run = result.run
    if not result.birth_date or not result.sex:
        raise ValidationError("The records give no full date of birth or no sex: register this patient by hand.")
    trial = run.criteria_version.trial
    today = timezone.localdate()
    # A record number longer than a candidate's holds is never cut: cut, two patients' numbers could become one.
    mrn = result.mrn if len(result.mrn) <= Candidate._meta.get_field("mrn").max_length else ""
    candidate = Candidate.objects.filter(mrn=mrn).first() if mrn else None
    if candidate is None:
        candidate = candidate_register(
            initials=_initials(result.name), birth_date=result.birth_date, sex=result.sex, mrn=mrn, created_by=user
        )
    referral = candidate.referrals.filter(trial=trial, status=Referral.Status.OPEN).first() or referral_create(
        candidate=candidate,
        trial=trial,
        user=user,
        source=Referral.Source.EHR_SEARCH,
        source_detail=f"Pre-screen run {run.pk}",
        referred_on=today,
    )
    screening = referral_start_screening(referral=referral, user=user, cohort=run.cohort, screening_date=today)
    lines = [orjson.dumps(resource) for resource in _records_of(result)]
    ehr_import(screening=screening, user=user, files=[("pre-screen records.ndjson", b"\n".join(lines))])
    result.screening = screening
    result.save(update_fields=["screening"])
    prescreen_access_record(
        run=run, user=user, action=PrescreenAccess.Action.SCREENED, detail={"screening": screening.number}
    )
    return screening


def _records_of(result):
    records = lz4.frame.decompress(PrescreenChunk.objects.values_list("records", flat=True).get(pk=result.chunk_id))
    return dict(patients_of(records))[result.patient_id]


def _initials(name):
    letters = "".join(part[0] for part in name.replace("-", " ").split() if part[:1].isalpha())
    return (letters[:1] + letters[-1:] if len(letters) > 1 else letters or "XX").upper()


def prescreen_access_record(*, run, user, action, detail=None):
    return PrescreenAccess.objects.create(run_number=run.pk, user=user, action=action, detail=detail or {})


def prescreen_sweep(*, now=None):
    """Delete the runs past the retention period; send again the chunks of a running run that has not moved for a
    while (a message lost on the way to the broker, or a broker restarted without it)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=RetentionPolicy.current().retention_days)
    deleted = 0
    for run in PrescreenRun.objects.filter(started_at__lt=cutoff).only("pk", "started_at"):
        with transaction.atomic():
            prescreen_access_record(
                run=run,
                user=None,
                action=PrescreenAccess.Action.DELETED,
                detail={"started": run.started_at.isoformat()},
            )
            run.delete()
            deleted += 1
    stalled = PrescreenRun.objects.filter(
        status=PrescreenRun.Status.RUNNING,
        progressed_at__lt=now - timedelta(seconds=settings.PRESCREEN_RESEND_AFTER_SECONDS),
    ).values_list("pk", flat=True)
    resent = [run_id for run_id in stalled if chunks_send(run_id=run_id)]
    return {"deleted": deleted, "resent": len(resent)}
