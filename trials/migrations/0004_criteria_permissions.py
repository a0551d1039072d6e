"""Give the roles the criteria and vocabulary permissions: administrators edit them, everyone else reads them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITABLE = ["criteriaversion", "criterion", "analyte", "analyteunit", "drug", "drugclass"]
READABLE = ["criteriaversion", "criterion"]


def grant(apps, schema_editor):
    trials_config = apps.get_app_config("trials")
    trials_config.models_module = True
    create_permissions(trials_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="trials")
    administrator = Group.objects.get(name="Administrator")
    administrator.permissions.add(
        *permissions.filter(
            codename__in=[f"{action}_{model}" for model in EDITABLE for action in ("add", "change", "delete", "view")]
        )
    )
    readable = permissions.filter(codename__in=[f"view_{model}" for model in READABLE])
    for name in ("Research coordinator", "Principal investigator"):
        Group.objects.get(name=name).permissions.add(*readable)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    models = set(EDITABLE)
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=["Administrator", "Research coordinator", "Principal investigator"]):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="trials", content_type__model__in=models)
        )


class Migration(migrations.Migration):
    dependencies = [("trials", "0003_criteria_and_vocabularies")]

    operations = [migrations.RunPython(grant, revoke)]
