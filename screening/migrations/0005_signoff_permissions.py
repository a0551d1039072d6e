"""Investigators sign, review the log and read the audit trail; administrators review, audit and export identified
data; coordinators record enrollment outcomes after sign-off."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Research coordinator": ["record_enrollment"],
    "Principal investigator": ["sign_screening", "record_enrollment", "view_screen_fail_log", "view_audit_trail"],
    "Administrator": ["view_screen_fail_log", "view_audit_trail", "export_identified"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("screening")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="screening", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="screening", codename__in=GRANTS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("screening", "0004_signoff_enrollment_exports")]

    operations = [migrations.RunPython(grant, revoke)]
