"""Web imports (导入任务): an upload becomes an ImportJob that the Huey worker runs.

The database is the record, the task only the trigger: a job is claimed by one atomic
pending → running update, so running it twice does nothing; a periodic sweep re-queues
jobs whose task was lost and fails jobs whose worker died (the import is one transaction,
so a dead worker left nothing half-written). Live progress goes to the cache — the import's
own transaction hides intermediate writes from the polling page.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core import tabular
from kefu.core.errors import KefuError, NotFound, PermissionDenied, ValidationFailed
from kefu.core.tabular_messages import tabular_message
from kefu.customers.import_validation import ImportRejected
from kefu.customers.importing import customers_import
from kefu.customers.models import ImportJob, ImportStatus

log = logging.getLogger(__name__)

PENDING_GRACE = timedelta(minutes=2)  # a pending job older than this lost its task
RUNNING_LIMIT = timedelta(minutes=30)  # a running job older than this lost its worker
KEEP_FILES = timedelta(days=7)  # uploads and rejects hold personal data: removed after
_PROGRESS_EVERY = 0.5  # seconds between cache writes


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _progress_key(job_id: int) -> str:
    return f"kefu:import-progress:{job_id}"


# --- writes -----------------------------------------------------------------------------


def import_job_create(*, actor, upload, skip_invalid: bool) -> ImportJob:
    """Store an uploaded file and queue its import. Checks size, type and permission."""
    if not actor.has_perm("customers.import_customer"):
        raise PermissionDenied()
    name = os.path.basename(upload.name or "")[:200]
    suffix = os.path.splitext(name)[1].lower()
    label = str(_("File"))
    if suffix not in (".csv", ".xlsx"):
        raise ValidationFailed.for_fields({label: [_("choose an .xlsx or .csv file")]})
    limit = settings.KEFU_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ValidationFailed.for_fields(
            {
                label: [
                    _("the file is %(size)d MB; at most %(max)d MB can be imported")
                    % {"size": upload.size // 2**20, "max": limit // 2**20}
                ]
            }
        )
    stored = _upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    try:
        tabular.file_kind(stored, name)
    except tabular.TabularError as exc:
        stored.unlink(missing_ok=True)
        raise ValidationFailed.for_fields({label: [tabular_message(exc)]}) from None
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            file_name=name,
            stored_path=str(stored),
            skip_invalid=skip_invalid,
            language=translation.get_language() or "",
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from kefu.customers.tasks import customer_import_run

    customer_import_run(job_id)


def import_job_run(*, job_id: int) -> None:
    """Run a queued import; a job that is not pending (already run, running) is left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    rejects = _upload_dir() / f"{job.pk}-rejects.csv"
    last = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= _PROGRESS_EVERY or (total and done >= total):
            last[0] = now
            cache.set(_progress_key(job_id), {"phase": phase, "done": done, "total": total}, 86400)

    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.created_by is None:
                raise PermissionDenied()
            customers_import(
                actor=job.created_by,
                path=job.stored_path,
                skip_invalid=job.skip_invalid,
                rejects_path=rejects,
                progress=progress,
                file_name=job.file_name,
                job=job,
            )
        except ImportRejected:
            pass  # customers_import recorded the problems on the job
        except KefuError as exc:
            _fail(job, str(exc.message))
        except Exception:
            log.exception("import job %s failed", job_id)
            _fail(job, _("The import failed unexpectedly; nothing was imported."))
        finally:
            cache.delete(_progress_key(job_id))
            Path(job.stored_path).unlink(missing_ok=True)
    job.refresh_from_db()
    if not job.rejected:
        rejects.unlink(missing_ok=True)


def _fail(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.message = message[:500]
    job.problems = [message]
    job.problem_count = 1
    job.finished_at = timezone.now()
    job.save()


def import_jobs_sweep() -> dict[str, int]:
    """Re-queue jobs whose task was lost, fail jobs whose worker died, delete old files."""
    now = timezone.now()
    lost = list(
        ImportJob.objects.filter(
            status=ImportStatus.PENDING, created_at__lt=now - PENDING_GRACE
        ).values_list("pk", flat=True)
    )
    for job_id in lost:
        _enqueue(job_id)
    dead = ImportJob.objects.filter(
        status=ImportStatus.RUNNING, updated_at__lt=now - RUNNING_LIMIT
    ).update(
        status=ImportStatus.FAILED,
        message=_("The import stopped (the worker was interrupted); nothing was imported."),
        finished_at=now,
    )
    removed = 0
    for job in ImportJob.objects.filter(finished_at__lt=now - KEEP_FILES, rejects_path__gt="").only(
        "pk", "rejects_path", "stored_path"
    ):
        for path in (job.rejects_path, job.stored_path):
            if path and Path(path).is_file() and Path(path).parent == _upload_dir():
                Path(path).unlink()
        ImportJob.objects.filter(pk=job.pk).update(rejects_path="")
        removed += 1
    return {"requeued": len(lost), "failed": dead, "cleaned": removed}


# --- reads ------------------------------------------------------------------------------


def import_jobs_visible(viewer) -> QuerySet[ImportJob]:
    """A user's own imports; administrators (scope all) see everyone's."""
    from kefu.org.scope import scope_for

    if not viewer.has_perm("customers.import_customer"):
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("created_by")
    if scope_for(viewer).sees_all:
        return jobs
    return jobs.filter(created_by=viewer)


def import_job_get(*, viewer, pk: int) -> ImportJob:
    job = import_jobs_visible(viewer).filter(pk=pk).first()
    if job is None:
        raise NotFound()
    return job


def import_job_progress(job: ImportJob) -> dict[str, Any]:
    """{"phase", "done", "total", "percent"} of a running job (empty when not running)."""
    if job.status != ImportStatus.RUNNING:
        return {}
    data = cache.get(_progress_key(job.pk)) or {}
    total = data.get("total") or 0
    percent = min(100, int(100 * data.get("done", 0) / total)) if total else None
    return {**data, "percent": percent}
