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
    path("<int:pk>/sign/", views.screening_sign, name="sign"),
    path("<int:pk>/enrollment/", views.screening_enrollment, name="enrollment"),
    path("<int:pk>/correct/", views.screening_correct, name="correct"),
    path("<int:pk>/move-version/", views.screening_move_version, name="move_version"),
    path("<int:pk>/audit/", views.screening_audit, name="audit"),
    path("<int:pk>/audit.csv", views.screening_audit_export, {"file_format": "csv"}, name="audit_csv"),
    path("<int:pk>/audit.pdf", views.screening_audit_export, {"file_format": "pdf"}, name="audit_pdf"),
    path("<int:pk>/reports/", views.report_create, name="report_create"),
    path("reports/<int:report_id>/status/", views.report_status, name="report_status"),
    path("reports/<int:report_id>/download/", views.report_download, name="report_download"),
    path("reports/attention/", views.reports_attention, name="reports_attention"),
    path("reports/<int:report_id>/retry/", views.report_retry, name="report_retry"),
]
