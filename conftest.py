"""Personas shared by every app's tests: one user per role, plus a logged-in user with no role."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from trials import roles

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashing is slow on purpose; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def login_lockout_off(settings):
    """django-axes refuses `client.login()` (it has no request) and would lock out tests that log in wrongly on
    purpose; tests of the lockout itself (config/tests/test_security.py) switch it back on. Its records live in
    database tables, which each test's transaction rolls back."""
    settings.AXES_ENABLED = False


def make_user(django_user_model, username, role=None, **extra):
    user = django_user_model.objects.create_user(
        username=username, password=PASSWORD, first_name=username.title(), last_name="Tester", **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def coordinator(django_user_model):
    return make_user(django_user_model, "coordinator", roles.COORDINATOR)


@pytest.fixture
def investigator(django_user_model):
    return make_user(django_user_model, "investigator", roles.INVESTIGATOR)


@pytest.fixture
def administrator(django_user_model):
    return make_user(django_user_model, "administrator", roles.ADMINISTRATOR, is_staff=True)


@pytest.fixture
def outsider(django_user_model):
    return make_user(django_user_model, "outsider")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The shipped trial data, loaded once into the test database; each test's changes are rolled back."""
    with django_db_blocker.unblock():
        call_command("load_trial_data", verbosity=0)


@pytest.fixture
def trial(db):
    """NCT00349206 as shipped (loaded again only after a transactional test emptied the database)."""
    from trials.models import Trial

    call_command("load_trial_data", verbosity=0)
    return Trial.objects.get(nct_id="NCT00349206")


@pytest.fixture
def active_version(trial):
    """The shipped criteria version of NCT00349206, with the lab and drug vocabularies it needs."""
    return trial.criteria_versions.get(status="active")


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def screening_for(active_version, coordinator):
    """A function that registers a candidate and starts a draft screening, as the coordinator would."""
    from datetime import date

    from django.utils import timezone

    from screening import services

    def start(cohort="phase1", birth_date=date(1971, 3, 15), sex="female", initials="JMS", mrn="", **kwargs):
        # Tests register many people alike: each is someone else, as the coordinator would confirm.
        return services.screening_register(
            confirm_new_person=kwargs.pop("confirm_new_person", True),
            trial=active_version.trial,
            initials=initials,
            birth_date=birth_date,
            sex=sex,
            mrn=mrn,
            cohort=cohort,
            screening_date=kwargs.pop("screening_date", timezone.localdate()),
            coordinator=kwargs.pop("user", coordinator),
        )

    return start


@pytest.fixture
def publish(administrator):
    """Publishes a draft as an administrator does: the impact preview run to the end, then the signed publication
    (dates default to today)."""
    from django.utils import timezone

    from amendments.services import impact_preview_request, impact_preview_run
    from trials.services import criteria_version_publish, draft_content_hash

    def run(draft, *, by=None, irb_approved_on=None, effective_date=None):
        user = by or administrator
        preview = impact_preview_request(version=draft, user=user)
        impact_preview_run(preview_id=preview.pk)
        today = timezone.localdate()
        return criteria_version_publish(
            version=draft,
            publisher=user,
            password=PASSWORD,
            reviewed_hash=draft_content_hash(draft),
            irb_approved_on=irb_approved_on or today,
            effective_date=effective_date or today,
        )

    return run
