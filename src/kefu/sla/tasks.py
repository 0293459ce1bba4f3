"""Huey tasks of time limits: thin triggers; the state lives in the SlaClock rows."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.sla import monitor


@db_periodic_task(crontab(minute="*"))
def sla_monitor() -> dict[str, int]:
    """Every minute: warnings, breaches and escalation steps that are due.

    Safe to run twice or side by side (each step is a conditional update committed with
    its event and messages); a run lost with a killed worker is simply the next minute's.
    """
    return monitor.sla_monitor_pass()


@db_periodic_task(crontab(hour="0", minute="15"))
def sla_calendar_check() -> list[tuple[str, int]]:
    """Daily at 08:15 in Shanghai (Huey's crontab reads UTC: 00:15): alert administrators
    while a calendar year the time limits need is missing."""
    return monitor.sla_calendar_check()
