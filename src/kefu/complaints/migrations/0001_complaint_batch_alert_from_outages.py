"""ComplaintBatchAlert, moved from the outages app (outages 0002 renamed its table to
complaints_complaintbatchalert): the model enters this app's state only, rows, indexes and
constraints stay as they are."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("org", "0001_initial"),
        ("outages", "0002_complaint_batch_alert_to_complaints"),
        ("workorders", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ComplaintBatchAlert",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("window_start", models.DateTimeField(verbose_name="window start")),
                        ("window_end", models.DateTimeField(verbose_name="window end")),
                        ("bucket", models.BigIntegerField(editable=False)),
                        ("threshold", models.PositiveSmallIntegerField(verbose_name="threshold")),
                        ("count", models.PositiveIntegerField(verbose_name="complaints")),
                        ("last_complaint_at", models.DateTimeField(verbose_name="latest complaint")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="raised at")),
                        ("acknowledged_at", models.DateTimeField(blank=True, null=True, verbose_name="acknowledged at")),
                        ("walkthrough_note", models.TextField(blank=True, verbose_name="process walk-through note")),
                        ("acknowledged_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="acknowledged by")),
                        ("area", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="org.orgunit", verbose_name="area")),
                        ("category", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="workorders.category", verbose_name="problem category")),
                    ],
                    options={
                        "verbose_name": "complaint batch alert",
                        "verbose_name_plural": "complaint batch alerts",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["category", "area", "-window_end"], name="batch_alert_lookup"),
                            models.Index(fields=["acknowledged_at", "-created_at"], name="batch_alert_open"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(fields=("category", "area", "bucket"), name="batch_alert_once_per_window"),
                        ],
                    },
                ),
            ],
        ),
    ]
