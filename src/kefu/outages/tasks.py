"""Huey tasks of incidents: a thin trigger. The orders' own states say what is left to
do, so a lost or repeated task costs nothing."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from kefu.outages import services
from kefu.outages.models import Outage, OutageStatus


@db_task(retries=3, retry_delay=30)
def outage_resolve_linked(outage_id: int) -> None:
    """Resolve the linked orders of a restore too large for one request."""
    outage = Outage.objects.filter(pk=outage_id).exclude(status=OutageStatus.ACTIVE).first()
    if outage is not None:
        services.outage_resolve_linked(outage=outage)
