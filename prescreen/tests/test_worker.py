"""Pre-screen runs done by real Celery workers (subprocesses) on real Redis and the PostgreSQL test database: a run
end to end, a worker killed in the middle of a chunk, a cancel while a chunk is in flight, a chunk sent twice.

To stop a worker at a known point in the middle of a chunk, the test holds an EXCLUSIVE lock on the results table
from a connection of its own: the worker has taken the chunk and evaluated its patients, and waits to insert their
results, inside the transaction that would mark the chunk done."""

import threading
import time

import psycopg2
from django.db import connection

from prescreen import services
from prescreen.models import PrescreenChunk, PrescreenResult, PrescreenRun
from prescreen.tests.conftest import FLETCHER, TOM, YVONE
from screening.tests import celery_worker as worker

celery_worker = worker.celery_worker

DONE_TIMEOUT = 60
REDELIVERY_TIMEOUT = 150


def run_status(run):
    return PrescreenRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()


def wait_until(workers, run, status, timeout=DONE_TIMEOUT):
    workers.wait_for(f"run {run.pk} to be {status}", lambda: run_status(run) == status, timeout=timeout)
    run.refresh_from_db()
    return run


class ResultsLocked:
    """An EXCLUSIVE lock on the results table, from a connection of the test's own, until released."""

    def __enter__(self):
        self.connection = psycopg2.connect(worker.database_url(connection.settings_dict))
        self.connection.cursor().execute("LOCK TABLE prescreen_prescreenresult IN EXCLUSIVE MODE")
        return self

    def workers_waiting(self):
        """How many other sessions wait for this lock to insert results."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the same view all through the transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                """AND query LIKE 'INSERT INTO "prescreen_prescreenresult"%%' AND pid <> pg_backend_pid()"""
            )
            return cursor.fetchone()[0]

    def __exit__(self, *exc):
        self.connection.rollback()
        self.connection.close()


def test_a_real_worker_does_a_run_over_a_real_export(celery_worker, start_run, settings):
    settings.PRESCREEN_CHUNK_PATIENTS = 1
    run = wait_until(celery_worker, start_run(), "done")
    assert (run.patients_done, run.chunks_done, run.chunks_total) == (3, 3, 3)
    standings = dict(run.results.values_list("patient_id", "standing"))
    assert standings == {
        TOM: PrescreenResult.Standing.NOTHING_FAILED,
        YVONE: PrescreenResult.Standing.NOTHING_FAILED,
        FLETCHER: PrescreenResult.Standing.FAILED,
    }
    assert run.results.get(patient_id=FLETCHER).failed[0]["code"] == "EX14"
    chunks = run.chunks.values_list("pk", flat=True)
    assert sorted(args for args, _ in celery_worker.sent) == sorted((pk,) for pk in chunks)


def test_a_worker_killed_mid_chunk_has_the_chunk_redone_and_no_patient_counted_twice(celery_worker, start_run):
    first = celery_worker.current
    with ResultsLocked() as lock:
        run = start_run()
        celery_worker.wait_for("the worker to be inside the chunk", lock.workers_waiting, interval=0.02)
        first.kill()
        killed_at = time.monotonic()
    chunk = run.chunks.get()
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == ("pending", 1)
    assert run.results.count() == 0
    second = celery_worker.start()
    run = wait_until(celery_worker, run, "done", timeout=REDELIVERY_TIMEOUT)
    print(f"the killed worker's chunk redone {time.monotonic() - killed_at:.1f} s after the SIGKILL")
    chunk.refresh_from_db()
    assert chunk.attempts == 2
    assert (run.patients_done, run.results.count(), run.chunks_done) == (3, 3, 1)
    # The worker logs the success once the task has returned: a moment after the run's row says done.
    celery_worker.wait_for("the worker to log the chunk's success", lambda: "succeeded" in second.output())
    assert second.output().count("succeeded") == 1
    # Once is once: nothing more comes back after another visibility timeout.
    time.sleep(worker.VISIBILITY_TIMEOUT + 1)
    run.refresh_from_db()
    chunk.refresh_from_db()
    assert (run.patients_done, run.results.count(), chunk.attempts) == (3, 3, 2)


def test_a_run_cancelled_while_a_chunk_is_in_flight_keeps_that_chunk_and_does_no_other(
    celery_worker, start_run, investigator, settings
):
    settings.PRESCREEN_CHUNK_PATIENTS = 1
    with ResultsLocked() as lock:
        run = start_run()
        celery_worker.wait_for("the worker to be inside the first chunk", lock.workers_waiting, interval=0.02)
        cancel = threading.Thread(target=lambda: services.prescreen_cancel(run=run, user=investigator))
        cancel.start()  # it waits for the chunk in flight, which holds the run's row
        time.sleep(0.5)
    cancel.join(timeout=30)
    assert not cancel.is_alive()
    run.refresh_from_db()
    assert (run.status, run.patients_done, run.results.count()) == ("cancelled", 1, 1)
    # The other two chunks reach the worker and are left alone.
    celery_worker.wait_for("the other chunks to be taken", lambda: celery_worker.output().count("succeeded") == 3)
    run.refresh_from_db()
    assert (run.patients_done, run.results.count()) == (1, 1)
    assert sorted(run.chunks.values_list("status", flat=True)) == ["cancelled", "cancelled", "done"]


def test_a_chunk_sent_twice_is_done_once(celery_worker, start_run, settings):
    from prescreen.tasks import evaluate_chunk

    run = wait_until(celery_worker, start_run(), "done")
    chunk = run.chunks.get()
    evaluate_chunk.apply_async((chunk.pk,))
    evaluate_chunk.apply_async((chunk.pk,))
    celery_worker.wait_for("both messages to be taken", lambda: celery_worker.output().count("succeeded") == 3)
    run.refresh_from_db()
    assert (run.patients_done, run.results.count(), PrescreenChunk.objects.get(pk=chunk.pk).attempts) == (3, 3, 1)
