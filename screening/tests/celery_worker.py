"""A real Celery worker for the tests that need one, started and stopped by the tests themselves.

`celery_worker` (a pytest fixture; import it into a test module) starts

    python -m celery -A config worker --pool=solo --concurrency=1 --prefetch-multiplier=1 -Q <a queue of its own>

as a subprocess against the *test* database (built from `connection.settings_dict` once pytest-django has created
it), a Redis database of its own on the same server as REDIS_URL (number 15; `TEST_CELERY_REDIS_DB` changes it), a
visibility timeout of 5 s and a MEDIA_ROOT shared with the test (`settings.MEDIA_ROOT` points at the same folder).
While the test runs, `generate_report.apply_async(...)` sends to that queue on that Redis database, so the app's own
path (`reports.report_request` -> `transaction.on_commit` -> `reports.report_send`) reaches this worker and no other,
and this worker never takes another run's messages (nor, with its short visibility timeout, requeues their
unacknowledged ones).

The worker needs committed rows, so the fixture asks for `transactional_db` and `django_db_serialized_rollback`
(the database is emptied after each test; the serialized rollback puts the role groups back). It skips only when the
database is not PostgreSQL or no Redis broker is configured; under `make test` both are real, so it runs there.
The worker is stopped at the end of the test (SIGTERM, then SIGKILL after 15 s), also when the test fails.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 5
# The sweeper, when a test starts beat: every second; a report "running" as long as the visibility timeout lost its
# worker; a message not taken within 10 s is sent again.
SWEEP_SECONDS = 1
RUNNING_TIMEOUT = VISIBILITY_TIMEOUT
RESEND_AFTER = 10
REDIS_DB = int(os.environ.get("TEST_CELERY_REDIS_DB", "15"))
READY_TIMEOUT = 60
STOP_TIMEOUT = 15


def database_url(settings_dict):
    """A DATABASE_URL for the database Django is connected to now (the test database, once it exists)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def broker_url_for_tests(broker_url):
    """The same Redis server, another database number: the test workers' traffic stays apart from everyone's."""
    parts = urlsplit(broker_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", parts.query, parts.fragment))


def skip_reason():
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"a real Celery worker needs PostgreSQL (DATABASE_URL is {connection.vendor}); `make test` has it"
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return "a real Celery worker needs REDIS_URL (a Redis broker); `make test` sets it"
    return None


class Worker:
    """One `celery worker` subprocess, in its own process group, logging to a file."""

    def __init__(self, *, name, env, queue, log_path):
        self.name, self.log_path = name, log_path
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=solo", "--concurrency=1", "--prefetch-multiplier=1",
            "-Q", queue, "-n", f"{name}@%h",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
            "--loglevel=INFO",
        ]  # fmt: skip
        self.log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started = time.monotonic()

    @property
    def pid(self):
        return self.process.pid

    def output(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Until the worker says it is ready to consume; fails with its log if it dies or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"{self.name}@" in self.output() and " ready." in self.output():
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                pytest.fail(f"The Celery worker exited with status {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        pytest.fail(f"The Celery worker was not ready after {timeout} s:\n{self.output()}")

    @property
    def ended_by_test(self):
        return getattr(self, "_ended", False)

    def kill(self):
        """SIGKILL: the worker dies on the spot, as on an out-of-memory kill or a pulled plug."""
        self._ended = True
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM (a warm shutdown: the current task finishes), then SIGKILL if it is still there."""
        self._ended = True
        try:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
        except ProcessLookupError:
            pass
        finally:
            self.log.close()


class Beat(Worker):
    """`celery beat`: sends the sweeper's task to the test queue every SWEEP_SECONDS."""

    def __init__(self, *, env, log_path, schedule_path):
        self.name, self.log_path = "beat", log_path
        command = [
            sys.executable, "-m", "celery", "-A", "config", "beat",
            "-s", str(schedule_path), "--max-interval", "1", "--loglevel=INFO",
        ]  # fmt: skip
        self.log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started = time.monotonic()

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Sending due task sweep-reports" in self.output():
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                pytest.fail(f"Celery beat exited with status {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        pytest.fail(f"Celery beat sent nothing after {timeout} s:\n{self.output()}")


class Workers:
    """The workers of one test, the queue they consume and what the test process sent to it."""

    def __init__(self, *, env, queue, broker_url, media_root, log_dir):
        self.env, self.queue, self.broker_url = env, queue, broker_url
        self.media_root, self.log_dir = Path(media_root), Path(log_dir)
        self.all, self.sent, self.beat = [], [], None

    @property
    def current(self):
        return self.all[-1] if self.all else None

    def start(self):
        """A new worker on the same queue, once it is ready to consume."""
        number = len(self.all) + 1
        worker = Worker(
            name=f"{self.queue}-{number}",
            env=self.env,
            queue=self.queue,
            log_path=self.log_dir / f"worker-{number}.log",
        )
        self.all.append(worker)
        worker.wait_ready()
        return worker

    def start_beat(self):
        """The sweeper, as production runs it: beat sends `sweep_reports` every SWEEP_SECONDS."""
        self.beat = Beat(env=self.env, log_path=self.log_dir / "beat.log", schedule_path=self.log_dir / "beat-schedule")
        self.beat.wait_ready()
        return self.beat

    def output(self):
        logs = [f"--- worker {i} (pid {w.pid})\n{w.output()}" for i, w in enumerate(self.all, 1)]
        if self.beat:
            logs.append(f"--- beat (pid {self.beat.pid})\n{self.beat.output()}")
        return "\n".join(logs)

    def received(self, task_id=None):
        """How many times the workers' logs say a task (or any) was received."""
        text = self.output()
        return text.count(f"[{task_id}] received") if task_id else text.count("] received")

    def queue_length(self):
        import redis

        client = redis.Redis.from_url(self.broker_url)
        try:
            return client.llen(self.queue)
        finally:
            client.close()

    def stop(self):
        for process in [*self.all, *([self.beat] if self.beat else [])]:
            process.stop()
        self._tidy_redis()

    def _tidy_redis(self):
        import redis

        try:
            client = redis.Redis.from_url(self.broker_url)
            try:
                client.delete(self.queue, *(f"_kombu.{kind}.{self.queue}" for kind in ("binding", "binding_permanent")))
            finally:
                client.close()
        except redis.RedisError:
            pass

    def wait_for(self, what, predicate, timeout=30.0, interval=0.05):
        """Polls `predicate` until it returns something true; fails with the workers' logs after `timeout`."""
        began = time.monotonic()
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() - began > timeout:
                pytest.fail(f"Timed out after {timeout:g} s waiting for {what}.\n{self.output()}")
            time.sleep(interval)


def route_reports_to(monkeypatch, workers):
    """The app's tasks (the report, the impact preview, the pre-screen chunks) send to the test worker's queue and
    Redis database (from any thread of this process, the live server's included), and `workers.sent` remembers what
    they sent."""
    from amendments.tasks import run_impact_preview
    from config.celery import app
    from prescreen.tasks import evaluate_chunk
    from screening.tasks import generate_report

    for task in (generate_report, run_impact_preview, evaluate_chunk):
        send = task.apply_async

        def apply_async(args=None, kwargs=None, _send=send, **options):
            with app.connection_for_write(workers.broker_url) as connection:
                result = _send(args, kwargs, queue=workers.queue, connection=connection, **options)
            workers.sent.append((tuple(args or ()), result.id))
            return result

        monkeypatch.setattr(task, "apply_async", apply_async)


@pytest.fixture
def celery_worker(transactional_db, django_db_serialized_rollback, settings, monkeypatch, tmp_path):
    """A running Celery worker on the test database (see the module's docstring); yields its `Workers`."""
    from django.db import connection

    from config.celery import app

    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    media_root = tmp_path / "media"
    media_root.mkdir()
    settings.MEDIA_ROOT = str(media_root)
    settings.REPORT_RUNNING_TIMEOUT_SECONDS, settings.REPORT_RESEND_AFTER_SECONDS = RUNNING_TIMEOUT, RESEND_AFTER
    queue = f"trialscreen-test-{uuid.uuid4().hex[:12]}"
    broker_url = broker_url_for_tests(settings.CELERY_BROKER_URL)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=broker_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        CELERY_QUEUE=queue,
        REPORT_SWEEP_SECONDS=str(SWEEP_SECONDS),
        REPORT_RUNNING_TIMEOUT_SECONDS=str(RUNNING_TIMEOUT),
        REPORT_RESEND_AFTER_SECONDS=str(RESEND_AFTER),
        MEDIA_ROOT=str(media_root),
        # The worker verifies signatures for the PDF: with the keys this process signs with.
        SIGNATURE_KEYS=",".join(f"{key_id}:{secret}" for key_id, secret in settings.SIGNATURE_KEYS.items()),
        SIGNATURE_KEY_ID=settings.SIGNATURE_KEY_ID,
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    workers = Workers(env=env, queue=queue, broker_url=broker_url, media_root=media_root, log_dir=tmp_path)
    route_reports_to(monkeypatch, workers)
    eager = app.conf.task_always_eager  # (monkeypatch cannot put back an attribute of Celery's settings)
    app.conf.task_always_eager = False
    try:
        workers.start()
        yield workers
    finally:
        app.conf.task_always_eager = eager
        workers.stop()
