"""Web import (upload → worker → progress → result) and export (list filters → .xlsx)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kefu.customers import import_jobs
from kefu.customers.models import AccessLog, Customer, ImportJob, ImportStatus
from tests.customers.test_import import HEADER, row
from tests.factories import make_customer, make_staff

HTMX = {"HX-Request": "true"}


def csv_upload(rows, name="客户.csv", encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), "text/csv")


@pytest.fixture
def importer(org, supervisor_a, client):
    client.force_login(supervisor_a)
    return supervisor_a


def upload(client, file, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("customers:customer_import"), {"file": file, **data})
    assert response.status_code == 302, response.content[:500]
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


def test_upload_runs_in_the_worker_and_shows_the_result(
    client, importer, django_capture_on_commit_callbacks
):
    job = upload(
        client,
        csv_upload([row("W1"), row("W2", phone="13912345678")], encoding="gbk"),
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert (job.status, job.imported) == (ImportStatus.DONE, 2)
    assert set(Customer.objects.values_list("code", flat=True)) == {"W1", "W2"}
    page = client.get(reverse("customers:customer_import_job", args=[job.pk]))
    assert 'id="import-result"' in page.text and "hx-trigger" not in page.text
    assert job.file_name == "客户.csv"


def test_bad_rows_are_listed_with_row_and_column_and_nothing_is_imported(
    client, importer, django_capture_on_commit_callbacks
):
    bad = row("W3", phone="12345")
    job = upload(client, csv_upload([row("W2"), bad]), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert not Customer.objects.exists()
    page = client.get(reverse("customers:customer_import_job", args=[job.pk]), headers=HTMX)
    assert 'id="import-failed"' in page.text
    problems = page.text.split('id="import-problems"')[1]
    assert "3" in problems and "电话/手机" in problems


def test_skipped_rows_can_be_downloaded_with_reasons(
    client, importer, django_capture_on_commit_callbacks
):
    job = upload(
        client,
        csv_upload([row("W4"), row("W5", unit="P-b-1")]),
        django_capture_on_commit_callbacks,
        skip_invalid="on",
    )
    job.refresh_from_db()
    assert (job.imported, job.rejected) == (1, 1)
    response = client.get(reverse("customers:customer_import_rejects", args=[job.pk]))
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0][-1] == "错误原因" and lines[1][0] == "W5" and "所属单位编码" in lines[1][-1]


def test_running_job_page_polls_its_progress(client, importer, org):
    job = ImportJob.objects.create(
        created_by=importer, file_name="big.csv", status=ImportStatus.RUNNING
    )
    from django.core.cache import cache

    cache.set(f"kefu:import-progress:{job.pk}", {"phase": "write", "done": 30, "total": 120})
    fragment = client.get(reverse("customers:customer_import_job", args=[job.pk]), headers=HTMX)
    assert 'hx-trigger="every 1s"' in fragment.text
    assert 'value="25"' in fragment.text
    assert "<html" not in fragment.text


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.txt", b"hello"), ("fake.xlsx", b"not a zip")],
)
def test_wrong_files_are_refused_at_upload(client, importer, name, content):
    response = client.post(
        reverse("customers:customer_import"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert 'id="form-errors"' in response.text
    assert not ImportJob.objects.exists()


def test_oversized_upload_is_refused_before_reading(client, importer, settings):
    settings.KEFU_IMPORT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.csv", b"x" * (2 * 1024 * 1024))
    response = client.post(reverse("customers:customer_import"), {"file": big})
    assert response.status_code == 413
    assert not ImportJob.objects.exists()


def test_another_users_import_is_not_found(client, org, importer):
    other = make_staff("sup_b", org["pref_b"], "supervisor")
    job = ImportJob.objects.create(created_by=other, file_name="x.csv")
    assert client.get(reverse("customers:customer_import_job", args=[job.pk])).status_code == 404


def test_agents_cannot_import(client, agent_a):
    client.force_login(agent_a)
    assert client.get(reverse("customers:customer_import")).status_code == 403


def test_a_job_runs_once_and_the_sweep_recovers_lost_ones(importer, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "lost.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(row("L9")) + "\n", encoding="utf-8")
    lost = ImportJob.objects.create(created_by=importer, file_name="lost.csv", stored_path=path)
    ImportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    dead = ImportJob.objects.create(
        created_by=importer, file_name="dead.csv", status=ImportStatus.RUNNING
    )
    ImportJob.objects.filter(pk=dead.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    result = import_jobs.import_jobs_sweep()  # Huey is immediate in tests: the re-run happens
    assert result["requeued"] == 1 and result["failed"] == 1
    lost.refresh_from_db()
    dead.refresh_from_db()
    assert lost.status == ImportStatus.DONE and Customer.objects.filter(code="L9").exists()
    assert dead.status == ImportStatus.FAILED
    import_jobs.import_job_run(job_id=lost.pk)  # a second delivery changes nothing
    assert Customer.objects.filter(code="L9").count() == 1


# --- export ----------------------------------------------------------------------------------


def test_export_downloads_the_current_filter_in_scope_and_logs(client, org, admin_user):
    exporter = make_staff("sup_a1", org["county_a1"], "supervisor")
    wang = make_customer(actor=admin_user, org_unit=org["county_a1"], name="王芳")
    make_customer(actor=admin_user, org_unit=org["county_a1"], name="李雷")
    make_customer(actor=admin_user, org_unit=org["county_b1"], name="王强")
    client.force_login(exporter)
    listing = client.get(reverse("customers:customer_list"), {"q": "王"}, headers=HTMX)
    assert 'id="customer-export-link"' in listing.text and "q=%E7%8E%8B" in listing.text
    response = client.get(reverse("customers:customer_export"), {"q": "王"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    codes = [r[0] for r in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert codes == [wang.code]
    entry = AccessLog.objects.get()
    assert (entry.actor, entry.row_count, entry.fields, entry.ip) == (
        exporter,
        1,
        "masked",
        "10.1.2.3",
    )


def test_unmasked_export_from_the_list_needs_a_reason(client, org, supervisor_a):
    make_customer(actor=supervisor_a, org_unit=org["county_a1"], phone="13912345678")
    client.force_login(supervisor_a)
    url = reverse("customers:customer_export")
    refused = client.post(url, {"unmasked": "1", "reason": ""})
    assert refused.status_code == 302 and not AccessLog.objects.exists()
    response = client.post(url, {"unmasked": "1", "reason": "核对"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    first = next(workbook.active.iter_rows(min_row=2, values_only=True))
    assert "13912345678" in first
    assert AccessLog.objects.get().fields == "phone,id_number"


def test_agents_see_no_export_button_and_cannot_export(client, agent_a, org):
    make_customer(actor=agent_a, org_unit=org["county_a1"])
    client.force_login(agent_a)
    assert 'id="customer-export"' not in client.get(reverse("customers:customer_list")).text
    assert client.get(reverse("customers:customer_export")).status_code == 403


def test_problems_are_written_in_the_uploaders_language(
    client, importer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("customers:customer_import"),
            {"file": csv_upload([row("E1", phone="12345")])},
            headers={"Accept-Language": "en"},
        )
    job = ImportJob.objects.get()
    assert job.language == "en"
    assert job.problems == ["Row 2 电话/手机: not a valid mainland mobile number"]
