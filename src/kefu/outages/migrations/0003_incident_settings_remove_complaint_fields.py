"""The complaint numbers leave the outage settings: complaints 0004 copied them into the
complaint settings. The row keeps the fault-analysis report's due days."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_complaint_settings_from_outages"),
        ("outages", "0002_complaint_batch_alert_to_complaints"),
    ]

    operations = [
        migrations.RemoveField(model_name="incidentsettings", name="repeat_window_days"),
        migrations.RemoveField(model_name="incidentsettings", name="batch_threshold"),
        migrations.RemoveField(model_name="incidentsettings", name="batch_window_hours"),
        migrations.AlterModelOptions(
            name="incidentsettings",
            options={"verbose_name": "outage settings", "verbose_name_plural": "outage settings"},
        ),
    ]
