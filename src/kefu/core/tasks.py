"""Huey tasks of core: housekeeping that every app's data relies on."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.core import idempotency


@db_periodic_task(crontab(minute="7"))
def idempotency_purge_expired() -> int:
    """Delete Idempotency-Key records past their time, hourly (safe to run twice)."""
    return idempotency.purge_expired()
