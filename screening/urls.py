from django.urls import path

from screening import views

app_name = "screening"

urlpatterns = [
    path("", views.screening_home, name="home"),
    path("new/", views.screening_new, name="new"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("<int:pk>/", views.screening_detail, name="detail"),
    path("<int:pk>/edit/", views.screening_edit, name="edit"),
    path("<int:pk>/medication-match/", views.medication_match, name="medication_match"),
]
