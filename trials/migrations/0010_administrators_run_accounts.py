"""Administrators run the site's accounts: create users, give them their role groups, and unlock an account that
django-axes locked out (by deleting its access attempts)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = {
    "auth": ["add_user", "change_user", "view_user", "view_group"],
    "axes": ["view_accessattempt", "delete_accessattempt", "view_accesslog", "view_accessfailurelog"],
}


def grant(apps, schema_editor):
    for label in CODENAMES:
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    administrator = Group.objects.get(name="Administrator")
    for label, codenames in CODENAMES.items():
        administrator.permissions.add(*Permission.objects.filter(content_type__app_label=label, codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    administrator = Group.objects.get(name="Administrator")
    for label, codenames in CODENAMES.items():
        administrator.permissions.remove(
            *Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0009_vocabulary_upgrade"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
