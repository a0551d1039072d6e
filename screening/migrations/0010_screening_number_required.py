# A migration of its own: PostgreSQL does not alter a table in the transaction that just updated its rows.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0009_screening_number_imaging_confirmations"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalscreening",
            name="number",
            field=models.CharField(
                db_index=True,
                editable=False,
                help_text="The candidate's number and this screening's place among theirs, e.g. SCR-0001-2.",
                max_length=24,
                verbose_name="screening number",
            ),
        ),
        migrations.AlterField(
            model_name="screening",
            name="number",
            field=models.CharField(
                editable=False,
                help_text="The candidate's number and this screening's place among theirs, e.g. SCR-0001-2.",
                max_length=24,
                unique=True,
                verbose_name="screening number",
            ),
        ),
    ]
