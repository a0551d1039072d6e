from django.apps import AppConfig


class PrescreenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prescreen"
    verbose_name = "Pre-screening of a clinic population"
