import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from config.middleware import SESSION_REFRESHED_AT
from conftest import PASSWORD
from screening.models import Report

PUBLIC_URL_NAMES = {"login", "admin:login", "healthz", "favicon"}
SAMPLE_VALUES = {"int": "1", "str": "NCT00349206", "slug": "sample", "path": "sample", "uuid": "0" * 32}


def all_url_samples(resolver=None, prefix="", namespace=""):
    """Every URL of the site with sample values in its parameters, so new pages are covered automatically."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_url_samples(entry, route, inner_namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else route
            yield name, "/" + sample_path(route)


def sample_path(route):
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES[m.group(1) or "str"], route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = re.sub(r"\.\*", "sample", route)
    return route.lstrip("^").replace("\\", "").replace("$", "").replace("^", "")


URLS = sorted(set(all_url_samples()))


def test_the_walk_finds_the_site_pages():
    names = {name for name, _ in URLS}
    assert {"home", "trials:detail", "logout", "admin:index"} <= names


@pytest.mark.parametrize(("name", "url"), [(n, u) for n, u in URLS if n not in PUBLIC_URL_NAMES])
def test_anonymous_users_are_sent_to_login_everywhere(db, client, name, url):
    response = client.get(url)
    assert response.status_code == 302, f"{name} ({url}) answered {response.status_code}"
    assert response.url.startswith((reverse("login"), reverse("admin:login"))), response.url


def test_health_check_is_public_and_says_nothing_else(db, client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_favicon_browsers_ask_for_is_the_app_s_icon_for_anyone(db, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.url.endswith("favicon.svg")
    assert (settings.BASE_DIR / "static" / "favicon.svg").exists()


def test_login_page_is_public(db, client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Log in" in response.content.decode()


def test_login_with_wrong_password_shows_an_error(client, coordinator):
    response = client.post(reverse("login"), {"username": "coordinator", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_returns_to_the_page_asked_for(client, coordinator, trial):
    target = reverse("trials:detail", args=[trial.nct_id])
    response = client.post(
        f"{reverse('login')}?next={target}", {"username": "coordinator", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.url == target


def test_logout_needs_post_and_ends_the_session(client_for, coordinator):
    client = client_for(coordinator)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_session_ends_after_thirty_idle_minutes(client_for, coordinator, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = client_for(coordinator)
    assert client.get(reverse("home")).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def idle_for(client, minutes):
    """As if the session's last request had been `minutes` ago."""
    session = client.session
    session[SESSION_REFRESHED_AT] = int(time.time()) - minutes * 60
    session.save()
    expiry = timezone.now() + timedelta(minutes=30 - minutes)
    Session.objects.filter(pk=session.session_key).update(expire_date=expiry)
    return session.session_key


def test_activity_keeps_the_session_alive(client_for, coordinator):
    client = client_for(coordinator)
    key = idle_for(client, 29)
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(pk=key).expire_date > timezone.now() + timedelta(minutes=29)


def test_requests_within_a_minute_do_not_write_the_session(client_for, coordinator):
    client = client_for(coordinator)
    key = idle_for(client, 0)
    expiry = Session.objects.get(pk=key).expire_date
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and q["sql"].startswith(("UPDATE", "INSERT"))]
    assert Session.objects.get(pk=key).expire_date == expiry
    idle_for(client, 1)
    client.get(reverse("home"))
    assert Session.objects.get(pk=key).expire_date > timezone.now() + timedelta(minutes=29)


@pytest.fixture
def queued_report(screening_for, coordinator):
    screening = screening_for()
    return Report.objects.create(screening=screening, requested_by=coordinator, status=Report.Status.QUEUED)


def poll(client, report, page="/"):
    """What htmx sends for the result page's report row, every 2 s."""
    return client.get(
        reverse("screening:report_status", args=[report.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )


def test_polling_a_report_does_not_keep_the_session_alive(client_for, coordinator, queued_report):
    client = client_for(coordinator)
    key = idle_for(client, 29)
    expiry = Session.objects.get(pk=key).expire_date
    for _ in range(3):
        assert poll(client, queued_report).status_code == 200
    assert Session.objects.get(pk=key).expire_date == expiry
    assert client.get(reverse("home")).status_code == 200  # what the user does still counts
    assert Session.objects.get(pk=key).expire_date > timezone.now() + timedelta(minutes=29)


def login_and_next(url):
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)["next"][0]


def test_a_poll_after_the_session_ended_takes_the_page_to_the_login(client_for, coordinator, queued_report):
    client = client_for(coordinator)
    key = idle_for(client, 0)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    page = f"/screenings/{queued_report.screening.pk}/?tab=reports"
    response = poll(client, queued_report, page)
    assert response.status_code == 401
    assert login_and_next(response["HX-Redirect"]) == (reverse("login"), page)
    assert coordinator.username not in response.content.decode()


def test_an_htmx_request_from_another_site_is_sent_to_the_login_with_no_way_back(db, client, queued_report):
    response = client.get(
        reverse("screening:report_status", args=[queued_report.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/phish"},
    )
    assert response.status_code == 401
    assert login_and_next(response["HX-Redirect"]) == (reverse("login"), "/")


def test_a_plain_request_after_the_session_ended_is_redirected_as_before(db, client, queued_report):
    response = client.get(reverse("screening:report_status", args=[queued_report.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


POLLING = re.compile(r"""hx-get="\{% url '([\w:]+)'[^"]*"[^>]*hx-trigger="every """)


def test_every_polling_element_calls_a_view_that_is_not_user_activity():
    """A page that asks the server by itself must not keep the session alive: each polled view is marked."""
    from pathlib import Path

    from django.conf import settings

    polled = {
        name
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        for name in POLLING.findall(path.read_text())
    }
    assert polled == {"screening:report_status", "amendments:impact_status", "prescreen:progress"}  # it sees all
    for name in polled:
        view = resolve(reverse(name, args=[1])).func
        assert getattr(view, "not_user_activity", False), name


def test_an_expired_form_gets_a_readable_page(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "This form could not be sent" in response.content.decode()
