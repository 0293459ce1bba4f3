"""Huey tasks of callbacks: thin triggers; the state lives in the callback rows."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.callbacks import monitor


@db_periodic_task(crontab(minute="*"))
def callbacks_monitor() -> int:
    """Every minute: new callbacks into calls and their SMS, the satisfied answers' orders
    archived, the no-reply switch, warnings, breaches and escalations that are due. Safe
    to run twice or side by side (SKIP LOCKED, one step per state)."""
    return monitor.callbacks_monitor_pass()
