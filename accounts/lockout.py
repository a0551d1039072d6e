"""Every place a user types their password again (sign-off, password change) counts toward django-axes' lockout,
as the login page does: five wrong in a row lock the account everywhere for AXES_COOLOFF_TIME."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponseForbidden


def _credentials(request):
    return {"username": request.user.get_username()}


def password_attempt_refused(request):
    """The locked-out answer if the user's account is locked (AxesMiddleware turns it into the locked-out page),
    else None."""
    credentials = _credentials(request)
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    request.axes_locked_out, request.axes_credentials = True, credentials
    return HttpResponseForbidden()


def password_attempt_failed(request, sender):
    """Counts a wrong password; at the limit, this request's answer becomes the locked-out page."""
    user_login_failed.send(sender=sender, credentials=_credentials(request), request=request)
