import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from config.env import database_from_url


def run_django(code, **env_overrides):
    """Start a fresh interpreter so that settings are read from the given environment, as at deployment."""
    unset = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SIGNATURE_KEYS", "SIGNATURE_KEY_ID"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_postgres_url_is_parsed():
    config = database_from_url("postgres://app:secret@db.example:5433/screening")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == ("screening", "app", "db.example", 5433)


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "not a url", "postgres://u:p@localhost:5432/"])
def test_bad_database_url_is_refused_with_a_clear_message(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url)


def test_bad_database_url_stops_startup_with_a_clear_error():
    result = run_django("", DJANGO_SETTINGS_MODULE="config.settings.base", DATABASE_URL="nonsense")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL 'nonsense'" in result.stderr


def test_settings_come_from_the_environment():
    code = (
        "from django.conf import settings as s; print(s.DATABASES['default']['NAME'], s.ALLOWED_HOSTS, "
        "s.DEBUG, s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = run_django(
        code,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/elsewhere",
        ALLOWED_HOSTS="screen.example.org",
        DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.stdout.split() == ["elsewhere", "['screen.example.org']", "True", "redis://127.0.0.1:6379/3", "False"]


def test_without_a_broker_tasks_run_in_process():
    result = run_django(
        "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)",
        DJANGO_SETTINGS_MODULE="config.settings.base",
    )
    assert result.stdout.strip() == "True"


def test_production_requires_a_secret_key():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "ALLOWED_HOSTS": "screen.example.org"}
    result = run_django("", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "wsgi": [sys.executable, "-c", "import config.wsgi"],
    "asgi": [sys.executable, "-c", "import config.asgi"],
    "celery worker": [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "--pool", "solo"],
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_entry_point_without_settings_stops_at_the_missing_secret_key(entry_point):
    """Forgetting DJANGO_SETTINGS_MODULE at deployment must not start the app on development settings with a
    random per-process key (sessions and signatures that break at each restart): the default is production."""
    unset = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    env = {key: value for key, value in os.environ.items() if key not in unset} | {"ALLOWED_HOSTS": "screen.example"}
    result = subprocess.run(
        ENTRY_POINTS[entry_point], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_the_entry_points_start_on_production_settings_when_configured():
    unset = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    env = {key: value for key, value in os.environ.items() if key not in unset} | {
        "ALLOWED_HOSTS": "screen.example.org",
        "SECRET_KEY": "a" * 70,
        "SIGNATURE_KEYS": "2026-12:" + "k" * 40,
    }
    code = "import config.wsgi; from django.conf import settings as s; print(s.SETTINGS_MODULE, s.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["config.settings.production", "False"], result.stderr


def test_production_settings_pass_the_deployment_checklist():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ALLOWED_HOSTS": "screen.example.org",
        "SECRET_KEY": "a" * 20 + "production-test-key-that-is-long-and-random-enough-1234567890",
        "SIGNATURE_KEYS": "2026-12:" + "k" * 40,
    }
    result = run_django(
        "from django.core.management import call_command; call_command('check', '--deploy', '--fail-level', 'WARNING')",
        **env,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("keys", "key_id", "message"),
    [
        (None, None, "SIGNATURE_KEYS"),
        ("2026-12:short", None, "at least 32 characters"),
        ("2026-12:" + "k" * 40, "2025-01", "SIGNATURE_KEY_ID '2025-01' is not one of the SIGNATURE_KEYS"),
    ],
)
def test_production_requires_a_signature_key_held_outside_the_database(keys, key_id, message):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ALLOWED_HOSTS": "screen.example.org",
        "SECRET_KEY": "a" * 70,
    }
    env |= {"SIGNATURE_KEYS": keys} if keys else {}
    env |= {"SIGNATURE_KEY_ID": key_id} if key_id else {}
    result = run_django("", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_signature_keys_rotate_by_id():
    result = run_django(
        "from django.conf import settings as s; print(list(s.SIGNATURE_KEYS), s.SIGNATURE_KEY_ID)",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SIGNATURE_KEYS="2026-12:" + "n" * 40 + ",2025-06:" + "o" * 40,
    )
    assert result.stdout.strip() == "['2026-12', '2025-06'] 2026-12"


def test_suite_runs_on_the_configured_database():
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected


def test_a_dead_workers_report_comes_back_within_a_minute():
    """A killed worker's message returns after the visibility timeout plus kombu's look for unacknowledged ones; a
    redelivery can claim a report once "running" has outlasted REPORT_RUNNING_TIMEOUT_SECONDS, so that is no longer
    than the visibility timeout; retries wait less than it, or their held message would come back as well."""
    from screening.reports import MAX_ATTEMPTS, retry_delay

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert settings.CELERY_VISIBILITY_TIMEOUT + options["unacked_restore_interval"] <= 60
    assert settings.REPORT_RUNNING_TIMEOUT_SECONDS <= settings.CELERY_VISIBILITY_TIMEOUT
    assert max(retry_delay(n) for n in range(MAX_ATTEMPTS)) < settings.CELERY_VISIBILITY_TIMEOUT
    assert settings.REPORT_SWEEP_SECONDS <= 10  # seconds, not minutes


def test_workers_ride_out_broker_faults_and_requests_do_not_wait_for_the_broker():
    assert settings.CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP is True
    assert settings.CELERY_BROKER_CONNECTION_MAX_RETRIES is None
    assert settings.CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS is True
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["max_retries"] == 0
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] <= 2


def test_redis_keeps_queued_messages_across_a_restart():
    script = (settings.BASE_DIR / ".ci" / "services.sh").read_text()
    assert "--appendonly yes" in script
