"""Administrators review and publish criteria versions (a signed act with its own permission)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    config = apps.get_app_config("trials")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    Permission = apps.get_model("auth", "Permission")
    administrator = apps.get_model("auth", "Group").objects.get(name="Administrator")
    administrator.permissions.add(
        Permission.objects.get(content_type__app_label="trials", codename="publish_criteriaversion")
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    administrator = apps.get_model("auth", "Group").objects.get(name="Administrator")
    administrator.permissions.remove(*Permission.objects.filter(codename="publish_criteriaversion"))


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0011_pinned_vocabulary_and_signed_publishing"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="criteriaversion",
            options={
                "ordering": ["trial", "-created_at"],
                "permissions": [("publish_criteriaversion", "Can review and publish a criteria version")],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
