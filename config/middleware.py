"""Project middleware."""

from django.utils.cache import patch_cache_control


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
