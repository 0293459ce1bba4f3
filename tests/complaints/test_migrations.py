"""Upgrading a database of the old layout (alerts and complaint settings in the outages
app) keeps every saved number and every alert."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kefu.complaints.models import ComplaintBatchAlert, ComplaintSettings
from kefu.core import refcache
from kefu.outages.models import IncidentSettings

BEFORE = [("outages", "0001_initial")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_upgrading_carries_the_settings_and_the_alerts_into_the_complaints_app(org):
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    try:
        old.get_model("outages", "IncidentSettings").objects.create(
            repeat_window_days=7, batch_threshold=3, batch_window_hours=12, report_due_days=5
        )
        now = timezone.now()
        old.get_model("outages", "ComplaintBatchAlert").objects.create(
            category_id=old.get_model("workorders", "Category").objects.first().pk,
            area_id=org["county_a1"].pk,
            window_start=now,
            window_end=now,
            bucket=1,
            threshold=3,
            count=4,
            last_complaint_at=now,
            walkthrough_note="已流程穿越",
        )
    finally:
        _migrate(None)
    refcache.forget_all()

    complaint = ComplaintSettings.current()
    assert (
        complaint.repeat_window_days,
        complaint.batch_threshold,
        complaint.batch_window_hours,
    ) == (7, 3, 12)
    assert IncidentSettings.current().report_due_days == 5
    alert = ComplaintBatchAlert.objects.get()
    assert (alert.area_id, alert.count, alert.walkthrough_note) == (
        org["county_a1"].pk,
        4,
        "已流程穿越",
    )
