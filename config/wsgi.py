"""Production settings unless told otherwise: a deployment that forgets DJANGO_SETTINGS_MODULE stops at a missing
SECRET_KEY rather than running with development settings and a random per-process key."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
