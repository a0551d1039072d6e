"""Production settings unless told otherwise, as in config/wsgi.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("trialscreen")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
