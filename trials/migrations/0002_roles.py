"""Create the three roles as groups and give them the trial app's permissions.

Later apps grant their own permissions to these groups in their own migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRIAL_MODELS = ["trial", "trialidentifier", "intervention", "arm", "outcomemeasure", "location", "investigator"]
READERS = ["Research coordinator", "Principal investigator", "Administrator"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; this migration needs them now.
    trials_config = apps.get_app_config("trials")
    trials_config.models_module = True
    create_permissions(trials_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    trial_permissions = Permission.objects.filter(content_type__app_label="trials")
    view_trial = trial_permissions.get(codename="view_trial")
    for name in READERS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(view_trial)
    administrator = Group.objects.get(name="Administrator")
    administrator.permissions.add(
        *trial_permissions.filter(codename__regex=r"^(add|change|delete|view)_(" + "|".join(TRIAL_MODELS) + ")$")
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=READERS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
