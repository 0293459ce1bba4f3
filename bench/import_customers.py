"""Benchmark: import 1,000,000 customers from CSV through the real `customers_import`.

    .venv/bin/python bench/import_customers.py [--rows 1000000] [--db sqlite,postgres]

For each database, on a fresh database and in a fresh process each:
  1. `customers_import` of the CSV (validation, tiers, products, tags, history, pyramid);
  2. reference: a plain bulk insert of the same rows (csv.reader → sqlite3 executemany /
     psycopg COPY) into the same migrated schema, customers and their products, no checks.
It prints seconds, peak RSS and the ratio import / reference.
Targets (issue 3): ≤ 90 s, ≤ 400 MB, ratio aim ≤ 2×.
PostgreSQL: KEFU_BENCH_PG (default postgres://postgres@127.0.0.1:5432) — databases
kefu_bench_import / kefu_bench_ref are dropped and recreated.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("KEFU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
HEADER = [
    "客户编号",
    "客户类型",
    "姓名/名称",
    "证件号码/身份证号",
    "电话/手机",
    "地址",
    "所属单位编码",
    "月消费",
    "政企系列",
    "产品类型",
    "业务账号",
    "标签",
]
FIELDS = [
    "code",
    "kind",
    "name",
    "id_number",
    "phone",
    "address",
    "org_unit",
    "monthly_value",
    "gov_series",
    "product_kind",
    "account_number",
    "tags",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak_rss_mb() -> float:
    """Largest finished child (the importer's validation process)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# --- generation (pure, no database) --------------------------------------------------------


def generate_csv(path: Path, rows: int, seed: int = 7) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from kefu.customers.demo_data import Place, customer_rows

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from kefu.org.demo import demo_geography

    places = [Place(code, *geo) for code, geo in sorted(demo_geography().items())]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for row in customer_rows(rows, seed=seed, places=places, code_prefix="B"):
            writer.writerow([row.get(f, "") for f in FIELDS])


# --- workers (each in its own process) ----------------------------------------------------


def _setup_django(db_url: str | None, data_dir: str) -> None:
    os.environ["KEFU_DATA_DIR"] = data_dir
    os.environ["KEFU_IMPORT_MAX_BYTES"] = str(2 * 1024**3)
    if db_url:
        os.environ["KEFU_DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from kefu.web.management.commands.setup import load_secret_key

    call_command("migrate", verbosity=0)
    load_secret_key()  # a new data dir has no key yet, as before `kefu setup`
    from kefu.org.demo import org_demo_seed

    org_demo_seed()


def worker_import(csv_path: str, db_url: str | None, data_dir: str) -> dict:
    _setup_django(db_url, data_dir)
    from django.contrib.auth import get_user_model

    from kefu.customers.importing import customers_import
    from kefu.customers.models import Customer, CustomerHistory, CustomerProduct

    actor = get_user_model().objects.create_superuser("bench", "bench@example.cn", "x" * 12)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    result = customers_import(actor=actor, path=csv_path)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "child_peak_rss_mb": child_peak_rss_mb(),
        "rss_before_mb": rss_before,
        "imported": result.imported,
        "customers": Customer.objects.count(),
        "products": CustomerProduct.objects.count(),
        "history": CustomerHistory.objects.count(),
    }


def _reference_rows(csv_path: str, units: dict[str, int]):
    """The same rows, straight from the CSV: no validation, no tiers, no history."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for pk, r in enumerate(reader, start=1):
            kinds = r[9].split(";") if r[9] else []
            accounts = r[10].split(";") if r[10] else []
            customer = (
                pk,
                r[0],
                "gov_enterprise" if r[1] == "政企" else "individual",
                r[2],
                r[3],
                r[3][::-1],
                r[4],
                r[5],
                units[r[6]],
                r[8],
                r[7],
                "basic",
                "",
                "",
                "small",
                "C",
                now,
                now,
                1,
            )
            yield customer, [(pk, k, a, "", True) for k, a in zip(kinds, accounts, strict=True)]


CUSTOMER_COLS = (
    "id, code, kind, name, id_number, id_number_rev, phone, address, org_unit_id, gov_series, "
    "monthly_value, tier, tier_override, tier_override_reason, pyramid, customer_class, "
    "created_at, updated_at, version"
)
PRODUCT_COLS = "customer_id, kind, account_number, name, is_active"


def worker_reference(csv_path: str, db_url: str | None, data_dir: str) -> dict:
    _setup_django(db_url, data_dir)
    from django.conf import settings

    from kefu.org.models import OrgUnit

    units = dict(OrgUnit.objects.values_list("code", "pk"))
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    count = 0
    if db_url is None:
        import sqlite3

        con = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        batch_c, batch_p = [], []
        sql_c = f"INSERT INTO customers_customer ({CUSTOMER_COLS}) VALUES ({','.join('?' * 19)})"
        sql_p = f"INSERT INTO customers_customerproduct ({PRODUCT_COLS}) VALUES (?,?,?,?,?)"
        with con:
            for customer, products in _reference_rows(csv_path, units):
                batch_c.append(
                    customer[:16] + (customer[16].isoformat(), customer[17].isoformat(), 1)
                )
                batch_p.extend(products)
                count += 1
                if len(batch_c) >= 5000:
                    con.executemany(sql_c, batch_c)
                    con.executemany(sql_p, batch_p)
                    batch_c, batch_p = [], []
            con.executemany(sql_c, batch_c)
            con.executemany(sql_p, batch_p)
        con.close()
    else:
        import psycopg

        with psycopg.connect(db_url) as con, con.cursor() as cur:
            products = []
            with cur.copy(f"COPY customers_customer ({CUSTOMER_COLS}) FROM STDIN") as copy:
                for customer, prods in _reference_rows(csv_path, units):
                    copy.write_row(customer)
                    products.extend(prods)
                    count += 1
            with cur.copy(f"COPY customers_customerproduct ({PRODUCT_COLS}) FROM STDIN") as copy:
                for row in products:
                    copy.write_row(row)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "imported": count,
    }


# --- orchestration ------------------------------------------------------------------------


def _pg_fresh(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def _pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_worker(kind: str, csv_path: Path, db: str) -> dict:
    data_dir = tempfile.mkdtemp(prefix=f"kefu-bench-{db}-{kind}-")
    db_url = _pg_fresh(f"kefu_bench_{kind}") if db == "postgres" else None
    cmd = [sys.executable, __file__, "--worker", kind, "--csv", str(csv_path), "--data", data_dir]
    if db_url:
        cmd += ["--db-url", db_url]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if db_url:
            _pg_drop(db_url.rsplit("/", 1)[1])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--csv", help="reuse an existing CSV")
    parser.add_argument("--worker", choices=["import", "reference"])
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT / "src"))
        fn = worker_import if args.worker == "import" else worker_reference
        print(json.dumps(fn(args.csv, args.db_url, args.data)))
        return

    csv_path = Path(args.csv) if args.csv else Path(tempfile.mkdtemp()) / "customers.csv"
    if not args.csv:
        started = time.perf_counter()
        generate_csv(csv_path, args.rows)
        print(
            f"generated {args.rows:,} rows ({csv_path.stat().st_size / 2**20:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s → {csv_path}"
        )
    try:
        _compare(args.db.split(","), csv_path)
    finally:
        if not args.csv:
            shutil.rmtree(csv_path.parent, ignore_errors=True)


def _compare(databases: list[str], csv_path: Path) -> None:
    for db in databases:
        ref = _run_worker("reference", csv_path, db)
        imp = _run_worker("import", csv_path, db)
        ratio = imp["seconds"] / ref["seconds"]
        rss = imp["peak_rss_mb"] + imp["child_peak_rss_mb"]
        print(
            f"[{db}] import: {imp['seconds']:.1f} s, peak RSS {rss:.0f} MB "
            f"(writer {imp['peak_rss_mb']:.0f} MB + checker {imp['child_peak_rss_mb']:.0f} MB; "
            f"{imp['customers']:,} customers, {imp['products']:,} products, "
            f"{imp['history']:,} history rows)"
        )
        print(
            f"[{db}] reference bulk insert: {ref['seconds']:.1f} s, "
            f"peak RSS {ref['peak_rss_mb']:.0f} MB ({ref['imported']:,} rows)"
        )
        verdict = "OK" if imp["seconds"] <= 90 and rss <= 400 else "OVER TARGET"
        print(f"[{db}] ratio import/reference: {ratio:.2f}×  (target ≤ 90 s, ≤ 400 MB) {verdict}")


if __name__ == "__main__":
    main()
