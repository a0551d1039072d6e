"""Investigators raise and close queries; coordinators answer them; administrators read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Research coordinator": ["answer_query", "view_query"],
    "Principal investigator": ["raise_query", "view_query"],
    "Administrator": ["view_query"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("review")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="review", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="review", codename__in=GRANTS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial"), ("trials", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
