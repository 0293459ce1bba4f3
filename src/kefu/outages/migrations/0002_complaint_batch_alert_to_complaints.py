"""ComplaintBatchAlert moves to the complaints app with its rows: its table is renamed to
the new app's name here, and the model leaves this app's state (complaints 0001 takes it
up without touching the database)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("outages", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(
                    name="complaintbatchalert", table="complaints_complaintbatchalert"
                ),
            ],
            state_operations=[
                migrations.DeleteModel(name="ComplaintBatchAlert"),
            ],
        ),
    ]
