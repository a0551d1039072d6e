"""Administrators edit regimens, as they edit the other vocabularies."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [f"{action}_regimen" for action in ("add", "change", "delete", "view")]


def grant(apps, schema_editor):
    trials_config = apps.get_app_config("trials")
    trials_config.models_module = True
    create_permissions(trials_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="trials", codename__in=CODENAMES)
    Group.objects.get(name="Administrator").permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="trials", codename__in=CODENAMES)
    Group.objects.get(name="Administrator").permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("trials", "0006_vocabulary_units_classes_regimens")]

    operations = [migrations.RunPython(grant, revoke)]
