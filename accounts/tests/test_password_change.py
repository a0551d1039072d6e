"""Every user changes their own password on one page; a wrong old password counts toward the lockout as a wrong
login does, so an open session does not let anyone guess the password without limit."""

import pytest
from django.test import Client
from django.urls import reverse

from config.tests.test_security import WRONG, assert_locked_out_page, lockout_on, log_in
from conftest import PASSWORD

NEW_PASSWORD = "a-long-new-passphrase-for-the-site"
lockout_on = lockout_on  # a fixture: django-axes on


def change_password(client, old, new=NEW_PASSWORD):
    return client.post(reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "administrator", "outsider"])
def test_every_user_changes_their_password(db, request, client, persona, lockout_on):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert reverse("password_change") in page  # the link in the navigation bar

    response = change_password(client, PASSWORD)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("home")).status_code == 200  # still logged in


def test_a_changed_password_is_announced_and_the_old_one_no_longer_logs_in(client, coordinator):
    client.force_login(coordinator)
    response = change_password(client, PASSWORD)
    assert "Your password has been changed." in client.get(response.url).content.decode()
    client.logout()
    assert log_in(client, "coordinator", PASSWORD).status_code == 200  # the login form again, with its error
    assert log_in(client, "coordinator", NEW_PASSWORD).status_code == 302


def test_a_wrong_old_password_is_a_field_error_and_changes_nothing(client, coordinator):
    client.force_login(coordinator)
    response = change_password(client, WRONG)
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    coordinator.refresh_from_db()
    assert coordinator.check_password(PASSWORD)


def test_five_wrong_old_passwords_lock_the_account_everywhere(lockout_on, client, coordinator):
    client.force_login(coordinator)
    for attempt in range(1, 5):
        response = change_password(client, WRONG)
        assert response.status_code == 200, f"attempt {attempt}"
    fifth = change_password(client, WRONG)
    assert fifth.status_code == 429
    assert_locked_out_page(fifth)

    too_late = change_password(client, PASSWORD)  # the right old password, once locked
    assert too_late.status_code == 429
    coordinator.refresh_from_db()
    assert coordinator.check_password(PASSWORD)
    assert log_in(Client(), "coordinator", PASSWORD).status_code == 429  # and at the login page


def test_wrong_logins_and_wrong_old_passwords_add_up(lockout_on, client, coordinator):
    client.force_login(coordinator)
    for _ in range(3):
        log_in(Client(), "coordinator", WRONG)
    change_password(client, WRONG)
    assert_locked_out_page(change_password(client, WRONG))


def test_a_right_password_change_does_not_count(lockout_on, client, coordinator):
    client.force_login(coordinator)
    for _ in range(4):
        change_password(client, WRONG)
    assert change_password(client, PASSWORD).status_code == 302
    assert log_in(Client(), "coordinator", NEW_PASSWORD).status_code == 302


def test_the_admin_change_password_link_leads_to_the_same_page(lockout_on, client, administrator):
    client.force_login(administrator)
    response = client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response.url == reverse("password_change")
    # Nothing posted to the admin's address changes a password without being counted.
    posted = client.post(
        "/admin/password_change/", {"old_password": WRONG, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert posted.status_code == 405
    administrator.refresh_from_db()
    assert administrator.check_password(PASSWORD)
    assert reverse("admin:password_change") == "/admin/password_change/"  # the admin's own link points here


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
