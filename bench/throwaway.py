"""What the database benchmarks share: a PostgreSQL database of their own, made empty and dropped afterwards, next to
the one DATABASE_URL names (whose role needs CREATEDB), and running the app's management commands against it."""

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
