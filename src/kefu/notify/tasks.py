"""Huey tasks of notifications: thin triggers; the state lives in the Message rows."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.notify import services


@db_task()
def deliver(message_id: int) -> None:
    """Send one outbox message (safe to run twice: only a pending, due message is sent)."""
    services.message_deliver(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> None:
    """Every minute: queue retries that are due and messages whose task was lost."""
    services.outbox_sweep()
