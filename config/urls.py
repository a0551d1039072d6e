from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_GET

from accounts import views as account_views
from trials import views as trial_views

admin.site.site_header = "trialscreen administration"
admin.site.site_title = "trialscreen admin"


@login_not_required
@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on every page that names no icon (the admin's): the app's icon, not a 404."""
    return redirect(static("favicon.svg"), permanent=True)


@login_not_required
def healthz(request):
    """For load balancers and monitoring: the app answers. Reveals nothing."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("", trial_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("trials/", include("trials.urls")),
    path("screenings/", include("screening.urls")),
    path("candidates/", include("patients.urls")),
    path("amendments/", include("amendments.urls")),
    path("referrals/", include("referrals.urls")),
    path("review/", include("review.urls")),
    path("ehr/", include("ehr.urls")),
    path("prescreen/", include("prescreen.urls")),
    path("admin/password_change/", account_views.admin_password_change),
    path("admin/", admin.site.urls),
]
