"""Bulk writer of the customer import: executemany on SQLite, COPY on PostgreSQL.

Rows bypass `Model.save()` (see importing.py for why); every rule `customer_create` applies
is applied here as well: tier from the record, pyramid layer and class from the layer
minimums fixed before the first write, one CustomerHistory row per customer.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from kefu.customers import services, tiering
from kefu.customers.models import (
    Customer,
    CustomerHistory,
    CustomerProduct,
    HistorySource,
    PyramidCutoff,
    Tag,
)

ANALYZE_MIN_ROWS = 10_000  # and at least a tenth of the table, as autovacuum would
SAMPLE_ROWS = 20_000  # rows ranked to fix pyramid minimums before the first write
WRITE_BATCH = 5_000
_CODE_CHUNK = 500


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


class BulkWriter:
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
