from django.apps import AppConfig


class EhrConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ehr"
    verbose_name = "EHR import (FHIR R4)"
