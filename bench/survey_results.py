"""Benchmark: a survey campaign's results over 1,000,000 responses (target ≤ 1 s).

    .venv/bin/python bench/survey_results.py [--responses 1000000] [--db sqlite,postgres] [--n 7]

For each database (fresh; PostgreSQL from KEFU_BENCH_PG, database kefu_bench_surveys):
  1. the seeded group-customer survey (three 1–10 questions) plus an NPS question; one
     campaign with --responses answered invitations and 4 answers each (scores drawn from
     a realistic skew), written in bulk (COPY on PostgreSQL, executemany on SQLite; not
     through the services), then ANALYZE.
  2. `survey_results(campaign)` — response rate and, per question, distribution, mean,
     CSAT, NPS — --n times; the median is the figure.
  3. Reference: one hand-written SQL aggregate of the same counts on the bare cursor.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sla_monitor import _pg_fresh, _setup_django  # noqa: E402  (the same preparation)

TARGET_MS = 1000.0
DB_NAME = "kefu_bench_surveys"
WEIGHTS = [1, 1, 1, 2, 3, 5, 8, 14, 20, 22, 23]  # 0–10: most customers score high


def _load(responses: int) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from order_rows import RowWriter  # benchmark data, bench/

    from kefu.customers.demo import demo_customers_create
    from kefu.customers.models import Customer
    from kefu.org.demo import org_demo_seed
    from kefu.org.models import OrgUnit
    from kefu.surveys.models import Answer, Campaign, Invitation, Question, Survey

    org_demo_seed()
    demo_customers_create(count=2000, seed=7)
    survey = Survey.objects.get(is_template=True)
    version = survey.current
    Question.objects.create(
        version=version, position=4, kind="score_10", text="您会向朋友推荐我们吗", is_nps=True
    )
    now = datetime(2026, 11, 30, 2, tzinfo=UTC)
    campaign = Campaign.objects.create(
        version=version,
        name="bench",
        unit=OrgUnit.objects.get(parent__isnull=True),
        channel="web",
        status="sent",
        created_by=get_user_model().objects.first(),
        created_at=now,
        sent_at=now,
        expires_at=now,
    )
    customers = list(Customer.objects.values_list("pk", "org_unit_id"))
    questions = list(version.questions.values_list("pk", "is_nps"))
    rng = random.Random(11)
    with transaction.atomic():
        top = Invitation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        invitations = (
            {
                "id": top + n + 1,
                "campaign_id": campaign.pk,
                "customer_id": customers[n % len(customers)][0],
                "phone": f"139{n:08d}",
                "unit_id": customers[n % len(customers)][1],
                "stratum": "",
                "nonce": f"{n:032x}",
                "status": "answered" if n % 10 else "pending",  # 90 % answered
                "step": 0,
                "sent_at": now,
                "answered_at": now if n % 10 else None,
            }
            for n in range(responses)
        )
        RowWriter(Invitation).write(invitations)

        def answers():
            for n in range(responses):
                if not n % 10:
                    continue
                for question, is_nps in questions:
                    value = rng.choices(range(11), WEIGHTS)[0]
                    yield {
                        "invitation_id": top + n + 1,
                        "campaign_id": campaign.pk,
                        "question_id": question,
                        "value": value if is_nps else max(1, value),
                        "text": "",
                    }

        RowWriter(Answer, with_pk=False).write(answers())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return campaign.pk


def _reference(campaign_id: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END) "
            "FROM surveys_invitation WHERE campaign_id = %s",
            [campaign_id],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT question_id, value, COUNT(*) FROM surveys_answer WHERE campaign_id = %s "
            "GROUP BY question_id, value",
            [campaign_id],
        )
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def worker(db_url: str | None, data_dir: str, responses: int, n: int) -> dict:
    _setup_django(db_url, data_dir)
    from kefu.surveys.models import Campaign
    from kefu.surveys.results import survey_results

    started = time.perf_counter()
    campaign_id = _load(responses)
    load_s = time.perf_counter() - started
    campaign = Campaign.objects.get(pk=campaign_id)
    survey_results(campaign)  # warm
    ours, ref = [], []
    for _ in range(n):
        started = time.perf_counter()
        results = survey_results(Campaign.objects.get(pk=campaign_id))
        ours.append((time.perf_counter() - started) * 1000)
        ref.append(_reference(campaign_id))
    first = results.questions[0]
    return {
        "load_s": load_s,
        "ours_ms": statistics.median(ours),
        "reference_ms": statistics.median(ref),
        "rate": results.response_rate,
        "mean_q1": first.mean,
        "nps": results.questions[-1].nps,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--n", type=int, default=7)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--db-url")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.db_url, args.data, args.responses, args.n)))
        return
    for db in args.db.split(","):
        data = tempfile.mkdtemp(prefix="kefu-bench-surveys-")
        url = _pg_fresh(DB_NAME) if db == "postgres" else None
        command = [sys.executable, __file__, "--worker", "--data", data]
        command += ["--responses", str(args.responses), "--n", str(args.n)]
        if url:
            command += ["--db-url", url]
        try:
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        finally:
            shutil.rmtree(data, ignore_errors=True)
            if url:
                _pg_fresh(DB_NAME, create=False)
        r = json.loads(out.strip().splitlines()[-1])
        verdict = "OK" if r["ours_ms"] <= TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        print(
            f"{db}: {args.responses:,} invitations (90 % answered, 4 answers each), "
            f"loaded in {r['load_s']:.0f} s\n"
            f"  survey_results p50 {r['ours_ms']:.1f} ms  {verdict}\n"
            f"  hand-written SQL p50 {r['reference_ms']:.1f} ms  ratio ×{r['ours_ms'] / r['reference_ms']:.2f}\n"  # noqa: E501
            f"  response rate {r['rate']:.2f}, mean of Q1 {r['mean_q1']:.2f}, NPS {r['nps']:.1f}"
        )


if __name__ == "__main__":
    main()
