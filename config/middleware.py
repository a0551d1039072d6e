"""Project middleware."""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_REFRESHED_AT = "_refreshed_at"


def not_user_activity(view):
    """Marks a view that a page calls by itself (polling a report's status): its requests do not keep the session
    alive, so a tab left open still logs out after SESSION_COOKIE_AGE."""
    view.not_user_activity = True
    return view


class SessionIdleTimeoutMiddleware:
    """Sessions end SESSION_COOKIE_AGE after the user's last request. Rather than writing the session on every
    request (as SESSION_SAVE_EVERY_REQUEST would), a request pushes the expiry back only if it was last pushed
    SESSION_REFRESH_EVERY_SECONDS or more ago: the timeout is the same to within that, and most requests write
    nothing to the database. Requests to views marked `not_user_activity` never push it back.

    Sits below SessionMiddleware, which saves a session this marks as changed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        if session.session_key is not None and not getattr(request, "not_user_activity", False):
            now = int(time.time())
            if now - session.get(SESSION_REFRESHED_AT, 0) >= settings.SESSION_REFRESH_EVERY_SECONDS:
                session[SESSION_REFRESHED_AT] = now
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.not_user_activity = getattr(view_func, "not_user_activity", False)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, and for a request htmx makes (a poll, a suggestion) once the session has ended: the whole page goes
    to the login page, which then brings the user back to that page, rather than the login form being swapped into
    a corner of it."""

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") != "true":
            return super().handle_no_permission(request, view_func)
        page = request.headers.get("HX-Current-URL", "")
        if url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
            page = urlsplit(page)._replace(scheme="", netloc="").geturl()
        else:
            page = "/"
        login = redirect_to_login(page, self.get_login_url(view_func), self.get_redirect_field_name(view_func))
        response = HttpResponse(status=401)
        response["HX-Redirect"] = login.url
        return response


class NoStoreForAuthenticatedUsersMiddleware:
    """Patient data lives behind the login: no response to a logged-in user may be kept by a browser or a proxy.

    Adds `Cache-Control: no-store, private` to every response for an authenticated user, unless the view set
    Cache-Control itself (Django's `never_cache`, for one, already says no-store). Static files never get here: in
    production WhiteNoise answers them before the middleware runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The user is read after the view: logging in or out during the request changes it.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class RejectNulBytesMiddleware:
    """A NUL byte is never part of anything a user means to send, and PostgreSQL refuses it in text: a path, query
    or form value that holds one is answered 400, before any view or query sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _holds_nul(request.GET) or (request.method == "POST" and _holds_nul(request.POST)):
            return render(request, "400.html", status=400)
        return self.get_response(request)


def _holds_nul(query):
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())
