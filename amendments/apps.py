from django.apps import AppConfig


class AmendmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amendments"
    verbose_name = "Protocol amendments"
