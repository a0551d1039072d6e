"""Production: HTTPS only, secure cookies, a SECRET_KEY that must come from the environment."""

from django.core.exceptions import ImproperlyConfigured

from config.env import signature_keys_from
from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SIGNATURE_KEYS = signature_keys_from(env("SIGNATURE_KEYS"))  # required: signatures need a key outside the database
SIGNATURE_KEY_ID = env("SIGNATURE_KEY_ID", default="") or next(iter(SIGNATURE_KEYS))
if SIGNATURE_KEY_ID not in SIGNATURE_KEYS:
    raise ImproperlyConfigured(f"SIGNATURE_KEY_ID {SIGNATURE_KEY_ID!r} is not one of the SIGNATURE_KEYS.")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# WhiteNoise serves the collected static files right after the security middleware.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
