"""Reports: the row is the outbox (sent_at), a run holds a report by its claim, "retrying" is shown; administrators
see stuck or failed reports and send them again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def grant(apps, schema_editor):
    config = apps.get_app_config("screening")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    Permission = apps.get_model("auth", "Permission")
    administrator = apps.get_model("auth", "Group").objects.get(name="Administrator")
    administrator.permissions.add(Permission.objects.get(content_type__app_label="screening", codename="retry_report"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    administrator = apps.get_model("auth", "Group").objects.get(name="Administrator")
    administrator.permissions.remove(*Permission.objects.filter(codename="retry_report"))


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0012_export_data_sets"),
        ("trials", "0002_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="report",
            options={
                "ordering": ["-created_at"],
                "permissions": [("retry_report", "Can see stuck or failed reports and send them again")],
            },
        ),
        migrations.AddField(
            model_name="report",
            name="claim",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="report",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="report",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Being generated"),
                    ("retrying", "Retrying"),
                    ("done", "Ready"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=8,
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
