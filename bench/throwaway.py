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
