"""Coordinators record referrals and close or screen them; investigators and administrators read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Research coordinator": ["add_referral", "change_referral", "view_referral"],
    "Principal investigator": ["view_referral"],
    "Administrator": ["view_referral"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("referrals")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="referrals", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="referrals", codename__in=GRANTS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial"), ("trials", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
