"""What the database benchmarks share: a PostgreSQL database of their own, made empty and dropped afterwards, next to
the one DATABASE_URL names (whose role needs CREATEDB), running the app's management commands against it, and the
Celery worker (and beat) processes they start."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def database_url_named(database_url, name):
    """DATABASE_URL with the same server and role but the database `name`."""
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _maintenance_connection(database_url):
    import psycopg2

    parts = urlsplit(database_url)
    connection = psycopg2.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        dbname=unquote(parts.path.lstrip("/")) or "postgres",
        connect_timeout=10,
    )
    connection.autocommit = True
    return connection


def create_database(database_url, name):
    """An empty database `name`; one left by an earlier run is dropped first."""
    import psycopg2

    try:
        connection = _maintenance_connection(database_url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                cursor.execute(f"CREATE DATABASE {name}")
        finally:
            connection.close()
    except psycopg2.Error as error:
        raise SystemExit(
            f"cannot create the database {name} with DATABASE_URL's role (it needs CREATEDB and PostgreSQL 13 or "
            f"later): {error}"
        ) from None


def drop_database(database_url, name):
    """Drop `name`; a failure is only reported, since the figures are still worth printing."""
    try:
        connection = _maintenance_connection(database_url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            connection.close()
    except Exception as error:
        print(f"warning: could not drop the database {name}: {error}", file=sys.stderr)


def step(what, command, env, *, show_output=True):
    """Run one command from the project root and say how long it took; stop the benchmark if it fails.

    `show_output=False` keeps its standard output out of the log on failure (create_demo_users prints passwords).
    """
    began = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if completed.returncode:
        sys.stderr.write((completed.stdout if show_output else "") + completed.stderr)
        raise SystemExit(f"{what} failed (exit status {completed.returncode})")
    print(f"{what}: {time.perf_counter() - began:.1f} s", flush=True)


def run_on_throwaway_database(script, name, run):
    """A database benchmark's main: check DATABASE_URL is PostgreSQL, create the database `name` next to it, call
    `run(database_url, started)`, and drop the database at the end, also on error or SIGTERM. Returns the exit code."""
    import os
    import signal

    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql", "pgsql", "psql"):
        print(
            f"{script} needs DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME (a role that may create "
            "databases), e.g. `.ci/services.sh up && source .services/env` first.",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup below runs
    started = time.perf_counter()
    create_database(database_url, name)
    try:
        return run(database_url, started)
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        drop_database(database_url, name)


def bench_environment(database_url, name, host):
    """The environment the app runs in against the throwaway database: base settings, DEBUG off, a fresh key."""
    import os
    import secrets

    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=database_url_named(database_url, name),
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=host,
        DATABASE_CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def django_with_trial_data(env, script):
    """Migrate the throwaway database, load the trial data, and set Django up in this process against it."""
    import logging
    import os

    step("migrate", [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    step("load_trial_data", [sys.executable, "manage.py", "load_trial_data"], env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    logging.disable(logging.INFO)  # django-axes logs every force_login at INFO, whatever LOG_LEVEL says
    django.setup()
    from django.conf import settings

    if settings.DEBUG:
        raise SystemExit(f"{script}: DEBUG must be off (with it, every query is kept in memory)")


class CeleryProcess:
    """A `celery -A config <command>` subprocess of a benchmark, in its own process group, logging to a file."""

    def __init__(self, env, arguments, *, name, log_path, script):
        self.name, self.log_path, self.script = name, Path(log_path), script
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.started = time.perf_counter()
        self.ready_after = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self):
        return self.log_path.read_text(errors="replace")

    def check_alive(self):
        if self.process.poll() is not None:
            raise SystemExit(f"{self.script}: {self.name} exited ({self.process.returncode}):\n{self.output()[-4000:]}")

    def wait_ready(self, timeout=60):
        """Until the worker says it is ready to consume; exits the benchmark if it dies or takes longer."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if " ready." in self.output():
                self.ready_after = time.perf_counter() - self.started
                print(f"{self.name} ready: {self.ready_after:.1f} s", flush=True)
                return
            self.check_alive()
            time.sleep(0.05)
        raise SystemExit(f"{self.script}: {self.name} not ready after {timeout} s:\n{self.output()[-4000:]}")

    def cpu_seconds(self):
        """User and system CPU of the process so far (0 once it is gone)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_mb(self):
        """The peak resident set so far (VmHWM), in MB, or None once the process is gone."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
        return kb / 1024 if kb is not None else None

    def stop(self, timeout=15):
        """SIGTERM (then SIGKILL after `timeout`); returns the peak resident set in MB, read just before."""
        peak = self.peak_mb()
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
        return peak


def celery_worker(env, queue, *, name, log_path, script, pool="solo"):
    """One worker process (`--concurrency=1`) on `queue`, taking one message at a time."""
    arguments = ["worker", f"--pool={pool}", "--concurrency=1", "--prefetch-multiplier=1", "-Q", queue]
    arguments += ["-n", f"{name}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel=INFO"]
    return CeleryProcess(env, arguments, name=name, log_path=log_path, script=script)


def tidy_queue(broker_url, queue):
    """A benchmark's queue and its bindings in Redis (the queue itself went with its last message)."""
    try:
        import redis

        client = redis.Redis.from_url(broker_url)
        try:
            client.delete(queue, *(f"_kombu.{kind}.{queue}" for kind in ("binding", "binding_permanent")))
        finally:
            client.close()
    except Exception as error:  # the figures are still worth printing
        print(f"warning: could not tidy the queue {queue} in Redis: {error}", file=sys.stderr)
