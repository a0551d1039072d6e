"""Reading configuration from the environment, with errors that say which variable is wrong."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SUPPORTED_DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "psql", "sqlite")


def database_from_url(url):
    """Parse a DATABASE_URL, refusing anything but PostgreSQL or SQLite with a readable message."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL {url!r} is not a database URL this app can use. Expected "
            "postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH."
        )
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no database (the path after the host).")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # The app's queries are short; compiling them with JIT costs more than it saves.
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    config["ATOMIC_REQUESTS"] = False
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    return config


def signature_keys_from(text, *, variable="SIGNATURE_KEYS"):
    """'2026-12:secret,2025-06:older secret' -> {key id: secret}, in order, refusing what cannot sign safely."""
    keys = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, _, secret = item.partition(":")
        if not key_id or len(secret) < 32:
            raise ImproperlyConfigured(
                f"{variable}: each item is KEY_ID:SECRET, with a secret of at least 32 characters ({key_id!r} is not)."
            )
        keys[key_id] = secret
    return keys
