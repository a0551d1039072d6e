SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST_PORT ?= 127.0.0.1:8000
# manage.py, wsgi, asgi and the Celery app default to production settings; the targets here run development ones.
DJANGO_SETTINGS_MODULE ?= config.settings.base
export DJANGO_SETTINGS_MODULE

.PHONY: run test checks bench clean

## make run: the app with demo data on SQLite, tasks in-process, at http://127.0.0.1:8000/
run: $(VENV)/.app-installed .dev-secret-key
	.ci/services.sh pdf-libraries
	@$(PY) -c "import weasyprint" 2>/dev/null || { echo "make run: WeasyPrint (the PDF reports) cannot load Pango and HarfBuzz. Install them: Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; macOS: brew install pango; then run make run again." >&2; exit 1; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_trial_data
	$(PY) manage.py create_demo_users
	SECRET_KEY="$$(cat .dev-secret-key)" $(PY) manage.py create_demo_screenings
	DEBUG=true SECRET_KEY="$$(cat .dev-secret-key)" $(PY) manage.py runserver $(HOST_PORT)

## make test: lint, migration and deployment checks, then the whole suite on PostgreSQL and Redis
test: $(VENV)/.dev-installed
	@trap '.ci/services.sh down' EXIT; \
	.ci/services.sh up && source .services/env && $(MAKE) --no-print-directory checks

checks:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production ALLOWED_HOSTS=trialscreen.example.org \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	SIGNATURE_KEYS="check:$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(40))')" \
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) -m pytest

## make bench: every benchmark under bench/; each prints its figures and, last, one JSON line
bench: $(VENV)/.dev-installed
	@trap '.ci/services.sh down' EXIT; \
	.ci/services.sh up && source .services/env && \
	for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

$(VENV)/.app-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.app-installed

.dev-secret-key:
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	chmod 600 $@

clean:
	rm -rf $(VENV) .services staticfiles
