from django.urls import path

from amendments import views

app_name = "amendments"

urlpatterns = [
    path("<int:pk>/review/", views.amendment_review, name="review"),
    path("<int:pk>/impact/", views.impact_preview_start, name="impact_start"),
    path("impact/<int:preview_id>/", views.impact_preview_status, name="impact_status"),
]
