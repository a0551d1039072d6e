from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("<int:pk>/", views.candidate_detail, name="detail"),
    path("<int:pk>/rescreen/", views.candidate_rescreen, name="rescreen"),
]
