"""Project middleware."""

import time

from django.shortcuts import render
from django.utils.cache import patch_cache_control

SESSION_REFRESHED_AT = "_refreshed_at"
SESSION_REFRESH_EVERY = 60  # seconds


class SessionIdleTimeoutMiddleware:
    """Sessions end SESSION_COOKIE_AGE after the last request. Rather than writing the session on every request (as
    SESSION_SAVE_EVERY_REQUEST would), a request pushes the expiry back only if it was last pushed a minute or more
    ago: the timeout is the same to within that minute, and most requests write nothing to the database.

    Sits below SessionMiddleware, which saves a session this marks as changed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        if session.session_key is not None:
            now = int(time.time())
            if now - session.get(SESSION_REFRESHED_AT, 0) >= SESSION_REFRESH_EVERY:
                session[SESSION_REFRESHED_AT] = now
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
