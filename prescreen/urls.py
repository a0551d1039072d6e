from django.urls import path

from prescreen import views

app_name = "prescreen"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("new/", views.run_new, name="new"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/progress/", views.run_progress, name="progress"),
    path("<int:pk>/cancel/", views.run_cancel, name="cancel"),
    path("<int:pk>/results/", views.run_results, name="results"),
    path("<int:pk>/results.csv", views.run_export, name="export"),
    path("results/<int:pk>/screen/", views.result_screen, name="screen"),
]
