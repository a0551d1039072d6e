from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from accounts.lockout import password_attempt_failed, password_attempt_refused


class PasswordChangeView(auth_views.PasswordChangeView):
    """The one place a user changes their password (the admin's link leads here too). A wrong old password counts
    toward the lockout, as at the login page: otherwise an open session would let anyone guess it without limit."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def post(self, request, *args, **kwargs):
        if refused := password_attempt_refused(request):
            return refused
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            password_attempt_failed(self.request, sender=__name__)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


@require_GET
def admin_password_change(request):
    """The admin's "Change password" link: the same page as everyone's, so no form changes a password uncounted."""
    return redirect("password_change")
