"""Settings for development and tests; production.py hardens them. Everything comes from the environment."""

from datetime import timedelta

from csp.constants import NONE, SELF
from django.core.management.utils import get_random_secret_key

from config.env import BASE_DIR, database_from_url, env, signature_keys_from

DEBUG = env.bool("DEBUG", default=False)
# Without SECRET_KEY, a per-process key: fine for tests; `make run` passes a kept one so logins survive reloads.
SECRET_KEY = env("SECRET_KEY", default="") or get_random_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# Investigators' signatures are HMAC-SHA256 with a key held outside the database, named by an id so that keys can
# rotate: SIGNATURE_KEYS="2026-12:<secret>,2025-06:<older secret>" verifies with any of them and signs with
# SIGNATURE_KEY_ID (default: the first). Without them (development, tests), a key derived from SECRET_KEY.
SIGNATURE_KEYS = signature_keys_from(env("SIGNATURE_KEYS", default="")) or {"local": f"signature:{SECRET_KEY}"}
SIGNATURE_KEY_ID = env("SIGNATURE_KEY_ID", default="") or next(iter(SIGNATURE_KEYS))

# History is there to read: nothing in it is ever put back (a revert would undo a signed record or its number).
SIMPLE_HISTORY_REVERT_DISABLED = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "pgtrigger",
    "axes",
    "csp",
    "accounts",
    "trials",
    "patients",
    "screening",
    "amendments",
    "referrals",
    "review",
    "ehr",
    "prescreen",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.NoStoreForAuthenticatedUsersMiddleware",
    "config.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a lockout flagged during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes checks every login attempt first; ModelBackend (Django's, reading permissions in one query) then does
# the authenticating and the permissions.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "config.auth.ModelBackend",
]

# Login lockout (django-axes): the 5th wrong password for a username locks that username for 15 minutes, from any
# address (the app sits behind a proxy and a hospital network shares addresses, so locking by IP would lock out
# everyone). A failed attempt during the lockout starts the 15 minutes again; a successful login clears the count.
# Attempts are kept in the database (Axes pages in the admin, where an administrator can also unlock) and logged
# through the "axes" logger.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# axes.W006 asks for "ip_address" among the lockout parameters because rotating user agents or cookies could dodge a
# lockout that depends on them; a lockout on the username alone depends on neither, so the warning does not apply.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 30 minutes without a request from the user (a page polling by itself does not count): activity
# pushes the expiry forward, writing the session at most once a minute (config.middleware.SessionIdleTimeoutMiddleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_REFRESH_EVERY_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4). Pages load only the app's own scripts, styles, fonts and images (Bootstrap
# draws a few icons as data: URLs): no inline <script>, no on* handlers, no style attributes. htmx is told not to
# inject its indicator <style> (meta htmx-config in base.html). The Django admin renders under the same policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: with no broker configured, tasks run in-process (eager), so `make run` needs no Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or env("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# The queue the app's tasks go to and its workers read (one per site when sites share a Redis).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
# Ride out broker faults: keep reconnecting (at start-up too) rather than exit, and give back the unacknowledged
# work of a lost connection (acks_late tasks come back to the queue instead of being lost or run twice at once).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# An unacknowledged task (its worker died) goes back to the queue after the visibility timeout. A report takes well
# under a second and retries wait at most 10 s, so 30 s brings a dead worker's job back within a minute; workers
# look for such tasks every few seconds (kombu's default would only look every 100 s).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=30)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 2)),
    "unacked_restore_throttle": 1,
    # A request that sends a report must not wait on a broker that is away: one try, two seconds at most (the
    # report stays queued for the sweeper). The worker's own connection keeps retrying (the settings above).
    "socket_connect_timeout": 2,
    "max_retries": 0,
}
# Reports (screening/reports.py): the sweeper runs every REPORT_SWEEP_SECONDS; a report "running" longer than
# REPORT_RUNNING_TIMEOUT_SECONDS lost its worker; a message not taken within REPORT_RESEND_AFTER_SECONDS is sent
# again; the administrators' page lists reports waiting longer than REPORT_STUCK_AFTER_SECONDS.
REPORT_SWEEP_SECONDS = env.float("REPORT_SWEEP_SECONDS", default=5.0)
REPORT_RUNNING_TIMEOUT_SECONDS = env.int("REPORT_RUNNING_TIMEOUT_SECONDS", default=30)
REPORT_RESEND_AFTER_SECONDS = env.int("REPORT_RESEND_AFTER_SECONDS", default=30)
REPORT_STUCK_AFTER_SECONDS = env.int("REPORT_STUCK_AFTER_SECONDS", default=120)
CELERY_BEAT_SCHEDULE = {
    "sweep-reports": {
        "task": "screening.tasks.sweep_reports",
        "schedule": REPORT_SWEEP_SECONDS,
        "options": {"expires": REPORT_SWEEP_SECONDS},  # a sweep nobody ran in time is dropped, not piled up
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Failed logins and lockouts (WARNING) and successful logins (INFO) always reach the log, whatever LOG_LEVEL says.
    # WeasyPrint narrates each step of every PDF at INFO; only its problems are worth a log line.
    "loggers": {"axes": {"level": "INFO"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# FHIR imports: the largest upload read (a Synthea patient bundle is 0.3-4 MB; a year of a real chart can be larger).
EHR_IMPORT_MAX_BYTES = env.int("EHR_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

# Pre-screen runs (prescreen/): patients per chunk (one Celery task each); the largest upload read; the sweeper runs
# every PRESCREEN_SWEEP_SECONDS, deletes the runs past the retention period and sends again the chunks of a run that
# has not moved for PRESCREEN_RESEND_AFTER_SECONDS (a message lost on the way to the broker).
PRESCREEN_CHUNK_PATIENTS = env.int("PRESCREEN_CHUNK_PATIENTS", default=250)
PRESCREEN_UPLOAD_MAX_BYTES = env.int("PRESCREEN_UPLOAD_MAX_BYTES", default=2 * 1024 * 1024 * 1024)
PRESCREEN_SWEEP_SECONDS = env.float("PRESCREEN_SWEEP_SECONDS", default=60.0)
PRESCREEN_RESEND_AFTER_SECONDS = env.int("PRESCREEN_RESEND_AFTER_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["sweep-prescreen-runs"] = {
    "task": "prescreen.tasks.sweep_prescreen_runs",
    "schedule": PRESCREEN_SWEEP_SECONDS,
    "options": {"expires": PRESCREEN_SWEEP_SECONDS},
}
