from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_complaint_batch_alert_content_type"),
    ]

    operations = [
        migrations.CreateModel(
            name="ComplaintSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("repeat_window_days", models.PositiveSmallIntegerField(default=30, help_text="A complaint is a repeat complaint when the same customer complained in the same problem category within this many days.", verbose_name="repeat-complaint window (days)")),
                ("batch_threshold", models.PositiveSmallIntegerField(default=5, help_text="Complaints of one category in one county that raise a batch alert.", verbose_name="batch-alert threshold (complaints)")),
                ("batch_window_hours", models.PositiveSmallIntegerField(default=24, verbose_name="batch-alert window (hours)")),
            ],
            options={
                "verbose_name": "complaint settings",
                "verbose_name_plural": "complaint settings",
            },
        ),
    ]
