"""The repeat window and the batch-alert numbers an administrator saved in the outages
app's settings row are copied into the complaint settings, before outages 0003 drops
those columns. Backwards, they are copied back (the columns are back by then)."""

from django.db import migrations

FIELDS = ("repeat_window_days", "batch_threshold", "batch_window_hours")


def forwards(apps, schema_editor):
    db = schema_editor.connection.alias
    incident = apps.get_model("outages", "IncidentSettings").objects.using(db)
    complaint = apps.get_model("complaints", "ComplaintSettings").objects.using(db)
    row = incident.order_by("pk").first()
    if row is None or complaint.exists():
        return  # nothing saved: the defaults, the same in both models, apply
    complaint.create(**{f: getattr(row, f) for f in FIELDS})


def backwards(apps, schema_editor):
    db = schema_editor.connection.alias
    incident = apps.get_model("outages", "IncidentSettings").objects.using(db)
    complaint = apps.get_model("complaints", "ComplaintSettings").objects.using(db)
    row = complaint.order_by("pk").first()
    if row is None:
        return
    values = {f: getattr(row, f) for f in FIELDS}
    target = incident.order_by("pk").first()
    if target is None:
        incident.create(**values)
    else:
        incident.filter(pk=target.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_complaint_settings"),
        ("outages", "0002_complaint_batch_alert_to_complaints"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
