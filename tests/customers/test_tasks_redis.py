"""Web imports through a real Huey queue on Redis: upload → queue → worker → done, and a task
lost with the queue (worker killed, Redis without persistence) recovered by the periodic sweep.

Needs a Redis server: set KEFU_TEST_REDIS_URL (.ci/run sets redis://127.0.0.1:6379/15). Each
test uses its own queue name, so parallel runs on the same Redis do not meet.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from huey import RedisHuey
from huey.consumer import Scheduler, Worker

from kefu.customers import tasks
from kefu.customers.models import Customer, ImportJob, ImportStatus
from tests.customers.test_import import HEADER, row

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not REDIS_URL,
    reason="KEFU_TEST_REDIS_URL is not set (CI sets redis://127.0.0.1:6379/15)",
)

# A time the sweep's crontab (minute */5) is due at.
SWEEP_DUE = datetime(2025, 1, 6, 9, 0)


@pytest.fixture
def queue():
    """The application's Huey instance, not immediate, queueing on Redis under a unique name.

    Our tasks stay registered where tasks.py put them (djhuey's HUEY); only the storage is
    Redis's, as with KEFU_REDIS_URL in production."""
    from huey.contrib.djhuey import HUEY

    redis_huey = RedisHuey(f"kefu-test-{uuid.uuid4().hex}", url=REDIS_URL)
    redis_huey.storage.conn.ping()  # unreachable Redis: fail here, not in the middle
    before = HUEY.immediate, HUEY.storage
    HUEY.immediate = False
    HUEY.storage = redis_huey.storage
    yield HUEY
    redis_huey.flush()
    HUEY.immediate, HUEY.storage = before


def work_off(huey, limit=20):
    """Run the consumer's worker until the queue is empty (bounded, no sleeping)."""
    worker = Worker(huey, default_delay=0.1, max_delay=1.0, backoff=1.15)
    for _ in range(limit):
        if not huey.pending_count():
            return
        worker.loop()
    pytest.fail(f"the queue still holds {huey.pending_count()} task(s) after {limit} steps")


@pytest.fixture
def importer(org, supervisor_a, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(supervisor_a)
    return supervisor_a


def upload(client, codes):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(row(code) for code in codes)
    file = SimpleUploadedFile("客户.csv", buffer.getvalue().encode("utf-8-sig"), "text/csv")
    response = client.post(reverse("customers:customer_import"), {"file": file})
    assert response.status_code == 302, response.content[:500]
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_queued_on_redis_and_the_worker_imports_it(client, importer, queue):
    job = upload(client, ["R1", "R2"])
    assert queue.pending_count() == 1  # queued once the upload committed
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and not Customer.objects.exists()

    work_off(queue)

    job.refresh_from_db()
    assert (job.status, job.imported) == (ImportStatus.DONE, 2)
    assert sorted(Customer.objects.values_list("code", flat=True)) == ["R1", "R2"]
    page = client.get(reverse("customers:customer_import_job", args=[job.pk]))
    assert 'id="import-result"' in page.text


@pytest.mark.django_db(transaction=True)
def test_a_task_lost_with_the_queue_is_run_by_the_sweep_exactly_once(client, importer, queue):
    job = upload(client, ["S1", "S2"])
    assert queue.pending_count() == 1
    queue.storage.flush_queue()  # the worker died / Redis restarted without persistence
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))

    scheduler = Scheduler(queue, interval=1, periodic=True)
    scheduler.enqueue_periodic_tasks(SWEEP_DUE)
    # Other apps' periodic tasks (outbox, SLA monitor…) are due too; the sweep is among them.
    assert "customer_import_sweep" in {t.name.rsplit(".", 1)[-1] for t in queue.pending()}
    work_off(queue)  # the sweep re-queues the job, the worker then runs it

    job.refresh_from_db()
    assert (job.status, job.imported) == (ImportStatus.DONE, 2)
    assert sorted(Customer.objects.values_list("code", flat=True)) == ["S1", "S2"]

    # The next sweep finds nothing to do; a late duplicate of the task changes nothing.
    scheduler.enqueue_periodic_tasks(SWEEP_DUE + timedelta(minutes=5))
    tasks.customer_import_run(job.pk)
    assert "customer_import_run" in {t.name.rsplit(".", 1)[-1] for t in queue.pending()}
    work_off(queue)
    assert queue.pending_count() == 0
    assert Customer.objects.filter(code__in=["S1", "S2"]).count() == 2
    job.refresh_from_db()
    assert (job.status, job.imported) == (ImportStatus.DONE, 2)
