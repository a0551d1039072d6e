"""The Administrator role runs the site's accounts in Django admin: creates them, gives each its role, unlocks an
account django-axes locked out; it cannot make a superuser, grant a permission outside the roles, or take over a
superuser's account."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from config.tests.test_security import lockout_on
from conftest import PASSWORD, make_user
from trials import roles

NEW_PASSWORD = "a-long-new-passphrase-for-the-site"
lockout_on = lockout_on  # a fixture: django-axes on


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password=PASSWORD)


def change_form_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [group.pk for group in user.groups.all()],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_the_administrator_creates_an_account(client_for, administrator):
    client = client_for(administrator)
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newcoordinator", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert get_user_model().objects.get(username="newcoordinator").check_password(NEW_PASSWORD)


def test_the_administrator_gives_an_account_its_role(client_for, administrator, django_user_model):
    newcomer = make_user(django_user_model, "newcomer")
    coordinator_group = Group.objects.get(name=roles.COORDINATOR)
    client = client_for(administrator)
    response = client.post(
        reverse("admin:auth_user_change", args=[newcomer.pk]), change_form_data(newcomer, groups=[coordinator_group.pk])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert roles.roles_of(django_user_model.objects.get(pk=newcomer.pk)) == [roles.COORDINATOR]


def test_the_role_choices_are_the_site_roles_only(client_for, administrator):
    Group.objects.create(name="Everything")
    client = client_for(administrator)
    assert "Everything" not in client.get(reverse("admin:auth_user_add")).content.decode()
    change_page = client.get(reverse("admin:auth_user_change", args=[administrator.pk]))
    choices = change_page.context["adminform"].form.fields["groups"].queryset
    assert sorted(choices.values_list("name", flat=True)) == sorted(roles.ALL_ROLES)


def test_the_administrator_cannot_make_a_superuser_or_grant_a_permission(client_for, administrator, django_user_model):
    newcomer = make_user(django_user_model, "newcomer")
    everything = Group.objects.create(name="Everything")
    everything.permissions.add(*Permission.objects.all())
    delete_screenings = Permission.objects.get(codename="delete_screening")
    client = client_for(administrator)
    client.post(
        reverse("admin:auth_user_change", args=[newcomer.pk]),
        change_form_data(newcomer, is_superuser="on", user_permissions=[delete_screenings.pk], groups=[everything.pk]),
    )
    newcomer.refresh_from_db()
    assert not newcomer.is_superuser
    assert not newcomer.user_permissions.exists()
    assert not newcomer.groups.filter(name="Everything").exists()


def test_the_administrator_cannot_change_a_superuser_or_its_password(client_for, administrator, superuser):
    client = client_for(administrator)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    response = client.post(reverse("admin:auth_user_change", args=[superuser.pk]), change_form_data(superuser))
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)
    assert superuser.is_active


def test_a_superuser_still_grants_anything(client_for, superuser, django_user_model):
    newcomer = make_user(django_user_model, "newcomer")
    client = client_for(superuser)
    response = client.post(
        reverse("admin:auth_user_change", args=[newcomer.pk]), change_form_data(newcomer, is_superuser="on")
    )
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.is_superuser


def test_the_administrator_unlocks_a_locked_out_account(lockout_on, administrator, client, coordinator):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "coordinator", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "coordinator", "password": PASSWORD}).status_code == 429
    attempt = AccessAttempt.objects.get(username="coordinator")

    admin_client = Client()
    admin_client.force_login(administrator)
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "coordinator" in listing.content.decode()
    response = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()

    assert client.post("/accounts/login/", {"username": "coordinator", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("role", [roles.COORDINATOR, roles.INVESTIGATOR])
def test_other_roles_cannot_run_accounts(role, django_user_model, client):
    user = make_user(django_user_model, "staffer", role, is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
