from django.urls import path

from review import log_views, views

app_name = "review"

urlpatterns = [
    path("log/", log_views.screen_fail_log, name="log"),
    path("log/export.csv", log_views.screen_fail_log_export, {"file_format": "csv"}, name="log_export_csv"),
    path("log/export.xlsx", log_views.screen_fail_log_export, {"file_format": "xlsx"}, name="log_export_xlsx"),
    path("log/legend.csv", log_views.screen_fail_log_legend, name="log_legend_csv"),
    path("log/exports/", log_views.identified_exports, name="identified_exports"),
    path("screenings/<int:pk>/queries/", views.query_raise, name="query_raise"),
    path("queries/<int:pk>/answer/", views.query_answer, name="query_answer"),
    path("queries/<int:pk>/ask-again/", views.query_ask_again, name="query_ask_again"),
    path("queries/<int:pk>/close/", views.query_close, name="query_close"),
]
