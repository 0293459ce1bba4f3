"""Huey tasks of the customer archive: thin triggers; the state lives in ImportJob rows."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.customers import import_jobs, services


@db_task()
def customer_import_run(job_id: int) -> None:
    """Run one uploaded import (safe to run twice: only a pending job starts)."""
    import_jobs.import_job_run(job_id=job_id)


@db_periodic_task(crontab(minute="*/5"))
def customer_import_sweep() -> None:
    """Re-queue lost imports, fail abandoned ones, remove week-old upload files."""
    import_jobs.import_jobs_sweep()


@db_periodic_task(crontab(hour="2", minute="30"))
def customer_pyramid_nightly() -> None:
    """Re-rank the value pyramid every night (02:30 Asia/Shanghai).

    Single creates and edits place a customer by the minimums of the last ranking; revenue
    ranks drift as consumption changes, so the ranking itself is redone off-peak. Safe to
    run twice: the ranking depends only on the current values.
    """
    services.pyramid_recompute()
