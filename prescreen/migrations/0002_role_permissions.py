"""Investigators and administrators start pre-screen runs and read their de-identified summary; the identified
results are for the roles that see identifiers (coordinators, who act on them, and administrators); administrators
set the retention period and read who looked at a run."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Research coordinator": ["view_prescreenrun", "view_prescreen_results"],
    "Principal investigator": ["add_prescreenrun", "view_prescreenrun"],
    "Administrator": [
        "add_prescreenrun",
        "view_prescreenrun",
        "change_prescreenrun",
        "view_prescreen_results",
        "view_retentionpolicy",
        "change_retentionpolicy",
        "view_prescreenaccess",
    ],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("prescreen")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="prescreen", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="prescreen", codename__in=GRANTS[group.name])
        )


def records_are_stored_as_compressed(apps, schema_editor):
    """A chunk's records are compressed already: PostgreSQL should store them, not try to compress them again."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE prescreen_prescreenchunk ALTER COLUMN records SET STORAGE EXTERNAL")


class Migration(migrations.Migration):
    dependencies = [("prescreen", "0001_initial"), ("trials", "0002_roles")]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(records_are_stored_as_compressed, migrations.RunPython.noop),
    ]
