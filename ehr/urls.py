from django.urls import path

from ehr import views

app_name = "ehr"

urlpatterns = [
    path("screenings/<int:pk>/import/", views.ehr_import, name="import"),
    path("screenings/<int:pk>/confirm/<slug:section>/", views.ehr_confirm, name="confirm"),
]
