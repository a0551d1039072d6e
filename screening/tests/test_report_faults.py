"""PDF reports through real faults, with real workers, Redis and PostgreSQL: the broker down when a report is asked
for, a restart of Redis with a message queued or a render running, PostgreSQL restarting mid-render, the whole
worker killed, one message delivered twice. Each ends with the report done exactly once, one file and no other, no
error page, and the worker still running. Services are stopped and started through `.ci/services.sh`."""

import subprocess
import time

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from screening import reports
from screening.models import Report
from screening.tests import celery_worker as worker
from screening.tests.celery_worker import ROOT
from screening.tests.test_report_worker import (
    assert_report_file,
    evaluated_screening,
    files_in,
    request_report,
    sign,
)

celery_worker = worker.celery_worker
evaluated_screening = evaluated_screening  # a fixture

# From a fault's end: the sweeper runs every second, a worker reconnects to Redis within a few, a retry waits at most
# 10 s, and a killed worker's message comes back after the visibility timeout plus kombu's sweep of unacknowledged
# messages (every few seconds).
RECOVERY_TIMEOUT = 45


def services(action, service):
    """Stops or starts Redis or PostgreSQL as an outage or a restart would."""
    subprocess.run([str(ROOT / ".ci" / "services.sh"), action, service], cwd=ROOT, check=True, capture_output=True)


@pytest.fixture
def restores_services():
    """Whatever a test stopped is started again, also when the test fails."""
    yield
    for service in ("redis", "postgresql"):
        services("start", service)
    connection.close()


def status_of(report):
    """The report's status, or None while the database cannot be read (it is being restarted)."""
    try:
        return Report.objects.filter(pk=report.pk).values_list("status", flat=True).first()
    except OperationalError:
        connection.close()
        return None


def wait_until_done(workers, report, timeout=RECOVERY_TIMEOUT):
    began = time.monotonic()
    workers.wait_for(
        f"report {report.pk} to be done", lambda: status_of(report) in ("done", "failed"), timeout=timeout, interval=0.1
    )
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, f"report {report.pk}: {report.error}\n{workers.output()}"
    return time.monotonic() - began


def assert_made_once(workers, report):
    """Done, with one file, the only file there is, and every worker the test did not end still running."""
    assert files_in(workers.media_root) == [workers.media_root / report.file.name], files_in(workers.media_root)
    assert_report_file(report, workers.media_root)
    for process in [*workers.all, *([workers.beat] if workers.beat else [])]:
        if not process.ended_by_test:
            assert process.process.poll() is None, f"{process.name} exited:\n{process.output()}"
    assert "Unrecoverable error" not in workers.output()


def wait_running(workers, report):
    workers.wait_for("the report to be running", lambda: status_of(report) == "running", interval=0.005)


def test_redis_down_when_a_report_is_asked_for(
    celery_worker, restores_services, evaluated_screening, client_for, coordinator
):
    celery_worker.start_beat()
    screening = evaluated_screening()
    client = client_for(coordinator)
    services("stop", "redis")

    began = time.monotonic()
    response = client.post(reverse("screening:report_create", args=[screening.pk]))
    asked_in = time.monotonic() - began
    assert response.status_code == 302
    assert asked_in < 3, f"asking for a report took {asked_in:.1f} s with Redis down"
    report = Report.objects.get(screening=screening)
    assert (report.status, report.sent_at) == (Report.Status.QUEUED, None)
    page = client.get(reverse("screening:detail", args=[screening.pk])).content.decode()
    assert "The PDF report is queued" in page
    assert "Queued…" in page

    services("start", "redis")
    recovered_in = wait_until_done(celery_worker, report)
    print(f"report requested with Redis down: done {recovered_in:.1f} s after Redis came back")
    assert report.attempts == 1
    assert_made_once(celery_worker, report)


def test_a_queued_message_outlives_a_redis_restart(celery_worker, restores_services, evaluated_screening, coordinator):
    screening = evaluated_screening()
    celery_worker.current.stop()  # nobody takes the message while Redis restarts
    report = request_report(screening, coordinator)
    assert celery_worker.queue_length() == 1
    services("stop", "redis")
    services("start", "redis")
    assert celery_worker.queue_length() == 1, "the queued message was lost with the restart"

    celery_worker.start()
    wait_until_done(celery_worker, report)
    assert celery_worker.received() == 1
    assert report.attempts == 1
    assert_made_once(celery_worker, report)


def test_redis_restarts_while_a_worker_renders(celery_worker, restores_services, evaluated_screening, coordinator):
    celery_worker.start_beat()
    screening = evaluated_screening()
    report = request_report(screening, coordinator)
    wait_running(celery_worker, report)
    services("stop", "redis")
    time.sleep(1)
    services("start", "redis")
    recovered_in = wait_until_done(celery_worker, report)
    print(f"Redis restarted mid-render: done {recovered_in:.1f} s after it came back")
    assert "Connection to broker lost" in celery_worker.output()  # the outage reached the worker
    assert_made_once(celery_worker, report)
    # The worker rode out the outage and takes new work.
    second = request_report(evaluated_screening(), coordinator)
    wait_until_done(celery_worker, second)


def test_postgresql_restarts_mid_render(
    celery_worker, restores_services, evaluated_screening, coordinator, investigator
):
    screening = evaluated_screening()
    sign(screening, investigator)
    report = request_report(screening, coordinator)
    wait_running(celery_worker, report)
    services("stop", "postgresql")
    time.sleep(1)
    services("start", "postgresql")
    connection.close()
    recovered_in = wait_until_done(celery_worker, report)
    print(f"PostgreSQL restarted mid-render: done {recovered_in:.1f} s after it came back")
    assert report.attempts >= 2, "the render finished before PostgreSQL stopped: the fault was not injected"
    assert_made_once(celery_worker, report)


def test_the_whole_worker_killed_is_redone_within_the_stated_time(
    celery_worker, evaluated_screening, coordinator, settings
):
    screening = evaluated_screening()
    report = request_report(screening, coordinator)
    wait_running(celery_worker, report)
    celery_worker.current.kill()  # the main process and its children, SIGKILL
    killed_at = time.monotonic()
    celery_worker.start()
    wait_until_done(celery_worker, report)
    redone_in = time.monotonic() - killed_at
    print(f"whole worker killed: redone {redone_in:.1f} s after the SIGKILL")
    assert redone_in < worker.VISIBILITY_TIMEOUT + 15
    assert report.attempts == 2
    assert_made_once(celery_worker, report)


def test_a_message_delivered_twice_is_made_once(celery_worker, evaluated_screening, coordinator):
    celery_worker.start()  # two workers, so both deliveries run at the same time
    screening = evaluated_screening()
    report = Report.objects.create(screening=screening, requested_by=coordinator)
    assert reports.report_send(report_id=report.pk)
    assert reports.report_send(report_id=report.pk)
    wait_until_done(celery_worker, report)
    celery_worker.wait_for("both deliveries to finish", lambda: celery_worker.output().count("succeeded in") == 2)
    assert celery_worker.received() == 2
    assert report.attempts == 1
    assert_made_once(celery_worker, report)
