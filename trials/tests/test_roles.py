import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from trials import roles


def test_migrations_create_the_three_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_every_role_can_read_the_trial(db, role):
    assert Group.objects.get(name=role).permissions.filter(codename="view_trial").exists()


def test_only_administrators_can_edit_the_trial_record(db):
    assert Group.objects.get(name=roles.ADMINISTRATOR).permissions.filter(codename="change_trial").exists()
    for role in (roles.COORDINATOR, roles.INVESTIGATOR):
        assert not Group.objects.get(name=role).permissions.filter(codename="change_trial").exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("coordinator", 200), ("investigator", 200), ("administrator", 200), ("outsider", 403)],
)
def test_trial_page_by_role(request, client_for, trial, persona, status):
    response = client_for(request.getfixturevalue(persona)).get(reverse("trials:detail", args=[trial.nct_id]))
    assert response.status_code == status


def test_user_without_a_role_is_told_to_ask_for_one(client_for, outsider, trial):
    page = client_for(outsider).get(reverse("home")).content.decode()
    assert "no role yet" in page
    assert trial.nct_id not in page


def test_forbidden_page_is_readable(client_for, outsider, trial):
    response = client_for(outsider).get(reverse("trials:detail", args=[trial.nct_id]))
    assert "have access to this page" in response.content.decode()


def test_administrator_edits_the_trial_in_admin(client_for, administrator, trial):
    client = client_for(administrator)
    assert client.get(reverse("admin:trials_trial_change", args=[trial.pk])).status_code == 200
    assert client.get(reverse("admin:trials_trial_history", args=[trial.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "outsider"])
def test_non_administrators_cannot_use_admin(request, client_for, trial, persona):
    client = client_for(request.getfixturevalue(persona))
    response = client.get(reverse("admin:trials_trial_change", args=[trial.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_demo_users_are_created_once_with_printed_passwords(db, client, capsys):
    call_command("create_demo_users")
    printed = capsys.readouterr().out
    credentials = dict(re.findall(r"username: (\S+)\s+password: (\S+)", printed))
    assert set(credentials) == {"coordinator", "investigator", "administrator"}
    User = get_user_model()
    assert User.objects.get(username="coordinator").groups.get().name == roles.COORDINATOR
    assert User.objects.get(username="administrator").is_staff
    assert not User.objects.get(username="administrator").is_superuser
    assert client.login(username="investigator", password=credentials["investigator"])

    call_command("create_demo_users")
    assert "password:" not in capsys.readouterr().out
    assert client.login(username="investigator", password=credentials["investigator"])
