"""The alert's content type follows it to the complaints app, so that its permissions
(held by roles and users) and the admin log entries about alerts stay attached to it.

On a new database there is no content type yet (Django creates them after migrating):
nothing to do."""

from django.db import migrations

MODEL = "complaintbatchalert"


def _move(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if types.filter(app_label=target, model=MODEL).exists():
        return
    types.filter(app_label=source, model=MODEL).update(app_label=target)


def forwards(apps, schema_editor):
    _move(apps, schema_editor, source="outages", target="complaints")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, source="complaints", target="outages")


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_complaint_batch_alert_from_outages"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
