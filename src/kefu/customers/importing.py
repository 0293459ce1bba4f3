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
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core import tabular
from kefu.core.errors import KefuError, PermissionDenied
from kefu.core.tabular_messages import file_message, row_message, tabular_message
from kefu.customers import services, tiering
from kefu.customers.import_check import (
    REJECT_REASON_HEADER,
    ImportRules,
    validation_stream,
)
from kefu.customers.models import (
    Customer,
    CustomerHistory,
    CustomerKind,
    CustomerProduct,
    HistorySource,
    ImportJob,
    ImportStatus,
    PyramidCutoff,
    Tag,
)
from kefu.customers.validation import FIELD_LABELS
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for

PHASE_VALIDATE = "validate"  # 校验
PHASE_WRITE = "write"  # 导入
PHASE_FINISH = "finish"  # 收尾: indexes, pyramid re-ranking
ProgressFn = Callable[[str, int, int], None]  # (phase, done, total); total 0 = unknown

MAX_KEPT_PROBLEMS = 10_000  # messages kept and returned; the rejects file gets every row
PARALLEL_MIN_ROWS = 20_000
ANALYZE_MIN_ROWS = 10_000  # and at least a tenth of the table, as autovacuum would
SAMPLE_ROWS = 20_000  # rows ranked to fix pyramid minimums before the first write
WRITE_BATCH = 5_000
_CODE_CHUNK = 500


class ImportRejected(KefuError):
    """The file, or some of its rows, failed validation; nothing was imported.

    `extra["problems"]` lists the messages (capped), `extra["problem_count"]` counts all.
    """

    code = "import_rejected"
    default_message = gettext_lazy("The file has problems; nothing was imported.")

    @classmethod
    def with_problems(cls, problems: list[str], count: int | None = None) -> ImportRejected:
        count = len(problems) if count is None else count
        if count == 1:
            message = problems[0]
        else:
            message = _("%(count)d problems; nothing was imported. First: %(first)s") % {
                "count": count,
                "first": problems[0],
            }
        return cls(message, extra={"problems": problems, "problem_count": count})


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


# --- preparing --------------------------------------------------------------------------


def _rules(*, actor, default_unit_code: str | None) -> ImportRules:
    units = list(OrgUnit.objects.filter(is_active=True))
    scope = scope_for(actor) if actor is not None else None
    allowed = {
        u.code: (u.pk, scope is None or scope.covers_unit(u)) for u in units
    }  # actor None: the system (demo data) may use any unit
    default_unit = None
    if default_unit_code:
        found = allowed.get(default_unit_code)
        if found is None:
            raise ImportRejected.with_problems(
                [file_message(_("org unit %(code)s does not exist") % {"code": default_unit_code})]
            )
        if not found[1]:
            raise ImportRejected.with_problems(
                [
                    file_message(
                        _("org unit %(code)s is outside your data scope")
                        % {"code": default_unit_code}
                    )
                ]
            )
        default_unit = found[0]
    return ImportRules(
        units=allowed,
        default_unit=default_unit,
        thresholds={k: services.tier_thresholds(k) for k in CustomerKind.values},
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )


def _messages(source: tuple, rules: ImportRules, *, parallel: bool) -> Iterator[tuple]:
    """The validation stream, in this process or in a child process for big inputs."""
    if not parallel:
        yield from validation_stream(source, rules)
        return
    from kefu.customers import import_worker

    child = subprocess.Popen(
        [sys.executable, "-m", "kefu.customers.import_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    finished = False
    try:
        pickle.dump((source, asdict(rules)), child.stdin)
        child.stdin.close()
        for message in import_worker.read_frames(child.stdout):
            finished = message[0] in ("end", "fatal", "crash")
            yield message
            if finished:
                break
        if not finished:
            yield ("crash", _("the checking process stopped unexpectedly"))
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.wait(timeout=30)


# --- writing ----------------------------------------------------------------------------


def _plan(model, explicit: list[str], now) -> tuple[str, list[str], tuple]:
    """Table, columns and the constant tail (model defaults) for a raw bulk insert.

    Fields not set explicitly get their model default, so a field added to the model
    later is still filled correctly.
    """
    by_name = {f.name: f for f in model._meta.concrete_fields}
    columns = [by_name[name].column for name in explicit]
    tail = []
    for f in model._meta.concrete_fields:
        if f.name in explicit or f.primary_key:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        columns.append(f.column)
        tail.append(f.get_db_prep_save(now if auto else f.get_default(), connection))
    return model._meta.db_table, columns, tuple(tail)


class _Writer:
    """Bulk rows into the customer tables: executemany on SQLite, COPY on PostgreSQL."""

    CUSTOMER_FIELDS = [
        "id",
        "code",
        "kind",
        "name",
        "id_number",
        "id_number_rev",
        "phone",
        "address",
        "org_unit",
        "monthly_value",
        "gov_series",
        "tier",
        "pyramid",
        "customer_class",
    ]
    TABLES = (Customer, CustomerProduct, CustomerHistory, Customer.tags.through)

    def __init__(self, *, actor_id: int | None, note: str, expected: int):
        now = timezone.now()
        self.expected = expected
        self.existing = Customer.objects.count()
        self.postgres = connection.vendor == "postgresql"
        self.cursor = connection.cursor()
        self.customer = _plan(Customer, self.CUSTOMER_FIELDS, now)
        self.product = _plan(CustomerProduct, ["customer", "kind", "account_number"], now)
        self.history = _plan(CustomerHistory, ["customer", "actor", "source", "note"], now)
        self.tags = _plan(Customer.tags.through, ["customer", "tag"], now)
        self.actor_id = actor_id
        self.note = note[:200]
        self.tag_ids: dict[str, int] = {}
        self.next_id = 0
        self.dropped: list[str] = []
        self.known_id_numbers: set[str] | None = None
        self.written = 0
        self.mins: list[tuple[float, str, str]] | None = None  # (minimum, layer, class)
        self.held: list[tuple] = []

    # pyramid layer -----------------------------------------------------------------------

    def decide_pyramid(self, *, existing: int, expected: int, sample: list[tuple]) -> None:
        """Fix the layer minimums new rows are classified with before they are written.

        An import that dominates the table is ranked on its own first rows (a sample);
        otherwise the last ranking's minimums hold. pyramid_recompute() at the end re-ranks
        everyone and rewrites only the rows that land elsewhere — a few near the boundaries
        instead of half the table.
        """
        stored = services.pyramid_min_values()
        if existing >= max(expected, len(sample)) and any(v is not None for v in stored.values()):
            mins = stored
        else:
            cutoffs = dict(PyramidCutoff.objects.values_list("layer", "top_percent"))
            top = {k: cutoffs.get(k, v) for k, v in tiering.DEFAULT_PYRAMID_TOP_PERCENT.items()}
            values = sorted((Decimal(r[8]) for r in sample), reverse=True)
            positions = tiering.pyramid_rank_positions(len(values), top)
            mins = {
                layer: values[positions[layer] - 1] if positions[layer] else None
                for layer in tiering.PYRAMID_LAYERS[:-1]
            }
        self.mins = [
            (float(mins[layer]), layer, tiering.PYRAMID_TO_CLASS[layer])
            for layer in tiering.PYRAMID_LAYERS[:-1]
            if mins.get(layer) is not None
        ]

    def add(self, records: list[tuple]) -> None:
        """Write records; the first SAMPLE_ROWS wait until the layer minimums are fixed."""
        if self.mins is not None:
            self.write(records)
            return
        self.held.extend(records)
        if len(self.held) >= SAMPLE_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.mins is None:
            self.decide_pyramid(existing=self.existing, expected=self.expected, sample=self.held)
        held, self.held = self.held, []
        for start in range(0, len(held), WRITE_BATCH):
            self.write(held[start : start + WRITE_BATCH])

    def _layer(self, value: str) -> tuple[str, str]:
        amount = float(value)
        for minimum, layer, customer_class in self.mins:
            if amount >= minimum:
                return layer, customer_class
        return "small", tiering.PYRAMID_TO_CLASS["small"]

    # indexes (SQLite only) -------------------------------------------------------------

    def drop_indexes(self) -> None:
        """Drop the secondary (non-unique) indexes of the customer tables until restore.

        Inside our transaction: a rollback brings them back. On PostgreSQL the drop takes
        an exclusive lock on those tables until commit; it is only tried for imports that
        at least double the table (a first load), and skipped if the lock is not free soon.
        """
        tables = [m._meta.db_table for m in self.TABLES]
        if self.existing:
            # Without the index every batch's ID-number check would scan the table: read
            # the archive's ID numbers once instead (at most as many as the file's rows).
            self.known_id_numbers = set(
                Customer.objects.exclude(id_number="")
                .values_list("id_number", flat=True)
                .iterator(chunk_size=10000)
            )
        if self.postgres:
            self._drop_indexes_postgres(tables)
            return
        marks = ", ".join(["%s"] * len(tables))
        where = f"sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN ({marks})"
        sql = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND {where}"  # noqa: S608
        self.cursor.execute(sql, tables)
        for name, create in self.cursor.fetchall():
            self.cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            self.dropped.append(create)

    def _drop_indexes_postgres(self, tables: list[str]) -> None:
        self.cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisunique "
            "AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = self.cursor.fetchall()
        # Foreign keys between the import tables (products/history/tags → customer) are
        # re-added at the end: one validating join instead of a trigger per row. Keys to
        # other tables (org units, users) stay: dropping them would lock those tables too.
        self.cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) "
            "AND confrelid = %s::regclass",
            [tables, Customer._meta.db_table],
        )
        foreign_keys = self.cursor.fetchall()
        try:
            with transaction.atomic():
                self.cursor.execute("SET LOCAL lock_timeout = '5s'")
                for name, _create in indexes:
                    self.cursor.execute(f"DROP INDEX {name}")
                for table, name, _definition in foreign_keys:
                    self.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                self.cursor.execute("SET LOCAL lock_timeout = 0")
        except OperationalError:  # a long reader holds the table: keep the indexes
            return
        self.dropped = [create for _name, create in indexes] + [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for table, name, definition in foreign_keys
        ]
        self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")

    def restore_indexes(self) -> None:
        if not self.dropped:
            return
        if self.postgres:
            # Deferred foreign-key checks must run before an index can be built here.
            self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in self.dropped:
            self.cursor.execute(sql)
        if self.postgres:
            self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.dropped = []

    def analyze(self) -> None:
        """Refresh planner statistics after a large import.

        Without them SQLite picks the org-unit index for a name search among a million
        customers (300 ms instead of 5 ms); PostgreSQL's autovacuum would catch up only
        some time after the commit.
        """
        if self.written < ANALYZE_MIN_ROWS or self.written * 10 < self.existing:
            return
        for model in self.TABLES:
            self.cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    # rows ------------------------------------------------------------------------------

    def existing_codes(self, codes: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(codes), _CODE_CHUNK):
            chunk = codes[start : start + _CODE_CHUNK]
            found.update(Customer.objects.filter(code__in=chunk).values_list("code", flat=True))
        return found

    def existing_id_numbers(self, id_numbers: list[str]) -> set[str]:
        """Those of `id_numbers` some customer of the archive (before this import) holds."""
        if not self.existing:
            return set()
        if self.known_id_numbers is not None:  # read before the indexes were dropped
            return self.known_id_numbers.intersection(id_numbers)
        found: set[str] = set()
        for start in range(0, len(id_numbers), _CODE_CHUNK):
            chunk = [n[::-1] for n in id_numbers[start : start + _CODE_CHUNK]]
            found.update(
                Customer.objects.filter(id_number_rev__in=chunk).values_list("id_number", flat=True)
            )
        return found

    def _ids(self, n: int) -> list[int]:
        if self.postgres:
            self.cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Customer._meta.db_table, n],
            )
            return [r[0] for r in self.cursor.fetchall()]
        if not self.next_id:
            # SQLite: our write transaction excludes other writers, so max + 1 onwards is ours.
            table = Customer._meta.db_table
            self.cursor.execute(
                f"SELECT MAX(x) FROM (SELECT MAX(id) AS x FROM {table} UNION ALL "  # noqa: S608
                "SELECT seq FROM sqlite_sequence WHERE name = %s)",
                [table],
            )
            self.next_id = (self.cursor.fetchone()[0] or 0) + 1
        ids = list(range(self.next_id, self.next_id + n))
        self.next_id += n
        return ids

    def _insert(self, plan: tuple[str, list[str], tuple], rows: list[tuple]) -> None:
        if not rows:
            return
        table = connection.ops.quote_name(plan[0])
        cols = ", ".join(connection.ops.quote_name(c) for c in plan[1])
        if self.postgres:
            with self.cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(plan[1]))
            # identifiers come from model metadata; values are parameters
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608
            self.cursor.executemany(sql, rows)

    def _tag_id(self, name: str) -> int:
        if name not in self.tag_ids:
            self.tag_ids[name] = Tag.objects.get_or_create(name=name)[0].pk
        return self.tag_ids[name]

    def write(self, records: list[tuple]) -> None:
        ids = self._ids(len(records))
        c_tail, p_tail, h_tail, t_tail = (
            self.customer[2],
            self.product[2],
            self.history[2],
            self.tags[2],
        )
        customers, products, history, tags = [], [], [], []
        source = HistorySource.IMPORT.value
        actor_id, note = self.actor_id, self.note
        layer = self._layer
        for pk, rec in zip(ids, records, strict=True):
            _row, code, kind, name, idn, phone, address, unit, value, series, tier = rec[:11]
            pyr, cls = layer(value)
            customers.append(
                (
                    pk,
                    code or f"C{pk:09d}",
                    kind,
                    name,
                    idn,
                    idn[::-1],
                    phone,
                    address,
                    unit,
                    value,
                    series,
                    tier,
                    pyr,
                    cls,
                    *c_tail,
                )
            )
            for product_kind, account in rec[11]:
                products.append((pk, product_kind, account, *p_tail))
            for tag in rec[12]:
                tags.append((pk, self._tag_id(tag), *t_tail))
            history.append((pk, actor_id, source, note, *h_tail))
        self._insert(self.customer, customers)
        self._insert(self.product, products)
        self._insert(self.tags, tags)
        self._insert(self.history, history)
        self.written += len(records)


# --- collecting problems ----------------------------------------------------------------


class _Problems:
    """Problem messages (capped) and, when asked for, the rejects CSV (every row)."""

    def __init__(self, rejects_path, header: list[str] | None):
        self.messages: list[str] = []
        self.count = 0
        self.rows = 0
        self.path = rejects_path
        self.writer = None
        self.fh = None
        if rejects_path is not None:
            self.writer, self.fh = tabular.csv_writer_for_excel(rejects_path)
            self.writer.writerow([*(header or []), REJECT_REASON_HEADER])

    def add(self, row_no: int, problems: list, cells: list[str] | None) -> None:
        self.rows += 1
        messages = [row_message(row_no, column, message) for column, message in problems]
        self.count += len(messages)
        room = MAX_KEPT_PROBLEMS - len(self.messages)
        if room > 0:
            self.messages.extend(messages[:room])
        if self.writer is not None:
            reason = "；".join(f"{column}: {message}" for column, message in problems)
            self.writer.writerow([tabular.escape_formula(c) for c in (cells or [])] + [reason])

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


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
    messages = _messages(source, rules, parallel=parallel)
    problems: _Problems | None = None
    try:
        first = next(messages, ("crash", _("the checking process stopped unexpectedly")))
        if first[0] != "header":
            raise ImportRejected.with_problems(_fatal(first))
        code_label = first[1].get("code") or str(FIELD_LABELS["code"])
        id_label = first[1].get("id_number") or str(FIELD_LABELS["id_number"])
        problems = _Problems(rejects_path, first[2])
        total_rows = 0
        expected = 0  # rows, once the validation has counted some (the file size guesses)
        with transaction.atomic():
            writer = _Writer(
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


def _worth_rebuilding(writer: _Writer, expected_rows: int) -> bool:
    """A large import that at least doubles the table: sorting once beats random inserts."""
    if expected_rows < settings.KEFU_IMPORT_REBUILD_MIN_ROWS:
        return False
    return expected_rows >= writer.existing


def _fatal(message: tuple) -> list[str]:
    if message[0] == "crash":
        return [file_message(_("checking failed: %(detail)s") % {"detail": message[1]})]
    return list(message[1])


def _batch(
    writer: _Writer,
    problems: _Problems,
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
        rules = _rules(actor=actor, default_unit_code=default_unit_code)
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
            rules=_rules(actor=actor, default_unit_code=None),
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
