"""Customer import (客户导入) from .xlsx or .csv: every row validated, all or nothing, fast.

How it runs, and why:

- Validation (import_check.py) applies `validation.clean_customer_fields` — the rules of the
  UI and the API — plus the import checks: org unit code known and inside the actor's data
  scope, customer numbers unique in the file and in the database, product types and
  account numbers, tags. Each problem becomes one message naming the row as Excel shows it
  and the column as the file names it: `第12行 身份证号: 校验位错误`.
- Writing happens in ONE transaction: customers, their products and tags, and one
  CustomerHistory row each (source=import, note "import #<job> <file>"), in batches with
  `executemany` (SQLite) or `COPY` (PostgreSQL). Tier, pyramid layer and class are set per
  row with the service rules; `services.pyramid_recompute()` re-ranks once at the end.
  Rows bypass `Model.save()`: that is what makes a million rows fit in 90 seconds, and
  every rule `customer_create` applies is applied here as well.
- For large files validation runs in a child process while this process writes what has
  been validated so far (two cores busy instead of one). If any row turns out invalid the
  transaction is rolled back, so the user-visible contract is the same as validating first:
  every problem is reported and nothing is imported — unless `skip_invalid`, which imports
  the valid rows and writes the others with reasons (错误原因) to a CSV Excel can open.
- An import that at least doubles the table (a first load) drops the secondary indexes
  inside the transaction and rebuilds them before commit: sorting once beats a million
  random B-tree inserts several times over, and a rollback restores them. On PostgreSQL the
  foreign keys from products/history/tags to the customer are re-added the same way (one
  validating join instead of a trigger per row). There the drop locks the customer tables
  against readers until commit, which is why it is reserved for first loads and skipped
  when the lock is not free within 5 seconds.

History: the import row carries no field snapshot. The customer's values at import are its
first values and every later change is stored by the services as a diff from them, so a
snapshot would cost ~300 bytes a row and add no information.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import tabular
from kefu.core.errors import PermissionDenied
from kefu.core.tabular_messages import file_message, tabular_message
from kefu.customers import services
from kefu.customers.import_check import ImportRules
from kefu.customers.import_validation import (
    ImportRejected,
    ProblemLog,
    import_rules,
    validation_messages,
)
from kefu.customers.import_writer import BulkWriter
from kefu.customers.models import ImportJob, ImportStatus
from kefu.customers.validation import FIELD_LABELS

PHASE_VALIDATE = "validate"  # 校验
PHASE_WRITE = "write"  # 导入
PHASE_FINISH = "finish"  # 收尾: indexes, pyramid re-ranking
ProgressFn = Callable[[str, int, int], None]  # (phase, done, total); total 0 = unknown

PARALLEL_MIN_ROWS = 20_000


@dataclass
class ImportResult:
    job_id: int | None
    total_rows: int
    imported: int
    rejected: int
    problem_count: int
    problems: list[str] = field(default_factory=list)
    rejects_path: str | None = None
    seconds: float = 0.0


# --- the run ----------------------------------------------------------------------------


def _import(
    source: tuple,
    *,
    actor,
    job: ImportJob,
    rules: ImportRules,
    skip_invalid: bool,
    rejects_path,
    progress: ProgressFn | None,
    parallel: bool,
    expected_rows: int,
) -> ImportResult:
    started = time.monotonic()
    report = progress or (lambda phase, done, total: None)
    report(PHASE_VALIDATE, 0, 0)
    messages = validation_messages(source, rules, parallel=parallel)
    problems: ProblemLog | None = None
    try:
        first = next(messages, ("crash", _("the checking process stopped unexpectedly")))
        if first[0] != "header":
            raise ImportRejected.with_problems(_fatal(first))
        code_label = first[1].get("code") or str(FIELD_LABELS["code"])
        id_label = first[1].get("id_number") or str(FIELD_LABELS["id_number"])
        problems = ProblemLog(rejects_path, first[2])
        total_rows = 0
        expected = 0  # rows, once the validation has counted some (the file size guesses)
        with transaction.atomic():
            writer = BulkWriter(
                actor_id=actor.pk if actor is not None else None,
                note=_("import #%(job)d %(file)s") % {"job": job.pk, "file": job.file_name},
                expected=expected_rows,
            )
            if _worth_rebuilding(writer, expected_rows):
                writer.drop_indexes()
            for message in messages:
                kind = message[0]
                if kind == "batch":
                    total_rows += len(message[1]) + len(message[2])
                    _batch(
                        writer,
                        problems,
                        message[1],
                        message[2],
                        skip_invalid=skip_invalid,
                        code_label=code_label,
                        id_label=id_label,
                    )
                    report(PHASE_WRITE, writer.written, max(expected, writer.written))
                elif kind == "progress":
                    expected = message[2]  # rows expected, as counted while reading
                    report(PHASE_VALIDATE, message[1], message[2])
                elif kind in ("fatal", "crash"):
                    raise ImportRejected.with_problems(_fatal(message))
            if problems.count and not skip_invalid:
                raise ImportRejected.with_problems(problems.messages, problems.count)
            writer.flush()
            report(PHASE_WRITE, writer.written, writer.written)
            report(PHASE_FINISH, 0, 1)
            writer.restore_indexes()
            if writer.written:
                services.pyramid_recompute()
                writer.analyze()
            report(PHASE_FINISH, 1, 1)
    except IntegrityError as exc:
        raise ImportRejected.with_problems(
            [
                file_message(
                    _("the database refused the rows (%(detail)s); nothing was imported")
                    % {"detail": str(exc)[:200]}
                )
            ]
        ) from None
    finally:
        messages.close()
        if problems is not None:
            problems.close()
    rejected = problems.rows if problems else 0
    job.status = ImportStatus.DONE
    job.total_rows = total_rows
    job.imported = writer.written
    job.rejected = rejected
    job.problem_count = problems.count
    job.problems = problems.messages[:1000]
    job.rejects_path = str(rejects_path or "")[:500] if rejected else ""
    job.message = ""
    job.finished_at = timezone.now()
    job.save()
    return ImportResult(
        job_id=job.pk,
        total_rows=total_rows,
        imported=writer.written,
        rejected=rejected,
        problem_count=problems.count,
        problems=problems.messages,
        rejects_path=str(rejects_path) if rejects_path and rejected else None,
        seconds=time.monotonic() - started,
    )


def _worth_rebuilding(writer: BulkWriter, expected_rows: int) -> bool:
    """A large import that at least doubles the table: sorting once beats random inserts."""
    if expected_rows < settings.KEFU_IMPORT_REBUILD_MIN_ROWS:
        return False
    return expected_rows >= writer.existing


def _fatal(message: tuple) -> list[str]:
    if message[0] == "crash":
        return [file_message(_("checking failed: %(detail)s") % {"detail": message[1]})]
    return list(message[1])


def _batch(
    writer: BulkWriter,
    problems: ProblemLog,
    records,
    rejects,
    *,
    skip_invalid: bool,
    code_label: str,
    id_label: str,
) -> None:
    """Check a validated batch's customer and ID numbers against the archive, then write it.

    An ID number already in the archive is a row error, not a second record of the same
    person (duplicates within the file are the checker's). The message does not say whose
    record holds it: the importer may not be allowed to see that customer.
    """
    codes = [r[1] for r in records if r[1]]
    taken = writer.existing_codes(codes) if codes else set()
    id_numbers = [r[4] for r in records if r[4]]
    held = writer.existing_id_numbers(id_numbers) if id_numbers else set()
    if taken or held:
        keep = []
        for record in records:
            row_problems = []
            if record[1] in taken:
                row_problems.append((code_label, _("already exists")))
            if record[4] and record[4] in held:
                row_problems.append((id_label, _("already in the customer archive")))
            if row_problems:
                rejects.append((record[0], row_problems, None))
            else:
                keep.append(record)
        records = keep
        rejects.sort(key=lambda r: r[0])
    for row_no, row_problems, cells in rejects:
        problems.add(row_no, row_problems, cells)
    if records and (skip_invalid or not problems.count):
        writer.add(records)


def _job_failed(job: ImportJob, exc: ImportRejected) -> None:
    problems = [str(p) for p in exc.extra.get("problems", [str(exc)])]
    job.status = ImportStatus.FAILED
    job.problems = problems[:1000]
    job.problem_count = exc.extra.get("problem_count", len(problems))
    job.message = str(exc)[:500]
    job.finished_at = timezone.now()
    job.save()


# --- entry points -----------------------------------------------------------------------


def customers_import(
    *,
    actor,
    path: str | os.PathLike[str],
    skip_invalid: bool = False,
    rejects_path: str | os.PathLike[str] | None = None,
    progress: ProgressFn | None = None,
    default_unit_code: str | None = None,
    file_name: str | None = None,
    job: ImportJob | None = None,
) -> ImportResult:
    """Import customers from an .xlsx or .csv file as `actor` (needs customers.import_customer).

    Raises ImportRejected when the file cannot be read, a column is unknown or missing, or
    (without `skip_invalid`) any row is invalid; nothing is imported then. With
    `skip_invalid` the valid rows are imported and the others written to `rejects_path`.
    `file_name` is the name the user gave the file (uploads are stored under another).
    """
    if not actor.has_perm("customers.import_customer"):
        raise PermissionDenied()
    path = str(path)
    file_name = file_name or os.path.basename(path)
    if job is None:
        job = ImportJob.objects.create(
            created_by=actor,
            file_name=file_name[:200],
            stored_path=path[:500],
            skip_invalid=skip_invalid,
            status=ImportStatus.RUNNING,
        )
    try:
        size = os.path.getsize(path)
        limit = settings.KEFU_IMPORT_MAX_BYTES
        if size > limit:
            raise ImportRejected.with_problems(
                [
                    file_message(
                        _("the file is %(size)d MB; at most %(max)d MB can be imported")
                        % {"size": size // 2**20, "max": limit // 2**20}
                    )
                ]
            )
        try:
            tabular.file_kind(path, file_name)
        except tabular.TabularError as exc:
            raise ImportRejected.with_problems([tabular_message(exc)]) from None
        rules = import_rules(actor=actor, default_unit_code=default_unit_code)
        min_bytes = settings.KEFU_IMPORT_PARALLEL_MIN_BYTES  # smaller files: in-process
        bytes_per_row = 40 if file_name.lower().endswith(".xlsx") else 150
        return _import(
            ("file", path, file_name),
            actor=actor,
            job=job,
            rules=rules,
            skip_invalid=skip_invalid,
            rejects_path=None if rejects_path is None else str(rejects_path),
            progress=progress,
            parallel=size >= min_bytes,
            expected_rows=size // bytes_per_row,
        )
    except ImportRejected as exc:
        _job_failed(job, exc)
        raise


def customers_import_rows(
    *,
    rows: Iterable[dict[str, str]] | None = None,
    demo: tuple[int, int, list] | None = None,
    actor=None,
    progress: ProgressFn | None = None,
    note: str = "",
    expected: int = 0,
) -> ImportResult:
    """Import rows already in memory (field → text) with the importer's checks and writer.

    For internal callers: `demo=(count, seed, places)` generates demo customers (in a child
    process when many). `actor=None` is the system: any org unit, no permission check. Any
    invalid row rejects the whole call, except in a demo, which leaves such rows out.
    """
    if actor is not None and not actor.has_perm("customers.import_customer"):
        raise PermissionDenied()
    job = ImportJob.objects.create(
        created_by=actor, file_name=(note or "rows")[:200], status=ImportStatus.RUNNING
    )
    if demo is not None:
        source: tuple = ("demo", *demo)
        expected = demo[0]
    else:
        source = ("rows", rows or (), expected)
    try:
        return _import(
            source,
            actor=actor,
            job=job,
            rules=import_rules(actor=actor, default_unit_code=None),
            # Generated people may share an ID number with one already on file (or drawn
            # earlier): the demo leaves that person out rather than failing or doubling.
            skip_invalid=demo is not None,
            rejects_path=None,
            progress=progress,
            parallel=demo is not None and expected >= PARALLEL_MIN_ROWS,
            expected_rows=expected,
        )
    except ImportRejected as exc:
        _job_failed(job, exc)
        raise
