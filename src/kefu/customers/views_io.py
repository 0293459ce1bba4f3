"""Customer import and export pages (客户导入/导出).

Import: upload → ImportJob queued for the worker → the job page polls its progress with
htmx and then shows the problems (row and column) or the result, with the rejects file.
Export: the customer list's current filters → .xlsx download, logged by the service.
"""

from __future__ import annotations

import os
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook

from kefu.core.errors import KefuError, NotFound, ValidationFailed
from kefu.core.http import client_ip
from kefu.customers import import_jobs
from kefu.customers.exporting import customers_export
from kefu.customers.forms import CustomerSearchForm, ImportUploadForm
from kefu.customers.import_check import FILE_HEADERS
from kefu.customers.models import ImportStatus
from kefu.org.selectors import org_units_visible
from kefu.web.errors import http_errors
from kefu.web.forms import valid_filters

RECENT_JOBS = 10
PROBLEMS_SHOWN = 200


def _upload_too_large(request: HttpRequest) -> bool:
    """Refuse before Django reads the body: a 5 GB upload must not fill the disk first."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.KEFU_IMPORT_MAX_BYTES + 1024 * 1024


@login_required
@permission_required("customers.import_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_import(request: HttpRequest) -> HttpResponse:
    """导入客户: the upload form and the user's recent imports."""
    form = ImportUploadForm()
    status = 200
    upload_error = ""
    if request.method == "POST":
        if _upload_too_large(request):
            upload_error = _("The file is larger than %(max)d MB and cannot be imported.") % {
                "max": settings.KEFU_IMPORT_MAX_BYTES // 2**20
            }
            status = 413
        else:
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    job = import_jobs.import_job_create(
                        actor=request.user,
                        upload=form.cleaned_data["file"],
                        skip_invalid=form.cleaned_data["skip_invalid"],
                    )
                except ValidationFailed as exc:
                    for messages_ in exc.extra.get("errors", {}).values():
                        for message in messages_:
                            form.add_error("file", message)
                else:
                    return redirect("customers:customer_import_job", pk=job.pk)
            status = 400
    jobs = import_jobs.import_jobs_visible(request.user)[:RECENT_JOBS]
    context = {
        "form": form,
        "upload_error": upload_error,
        "jobs": jobs,
        "max_mb": settings.KEFU_IMPORT_MAX_BYTES // 2**20,
    }
    return render(request, "customers/io/import.html", context, status=status)


@never_cache
@login_required
@permission_required("customers.import_customer", raise_exception=True)
@http_errors
def customer_import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: progress while it runs (htmx polls this view), then its outcome."""
    job = import_jobs.import_job_get(viewer=request.user, pk=pk)
    context = {
        "job": job,
        "progress": import_jobs.import_job_progress(job),
        "finished": job.status in (ImportStatus.DONE, ImportStatus.FAILED),
        "problems": job.problems[:PROBLEMS_SHOWN],
        "more_problems": max(0, job.problem_count - min(len(job.problems), PROBLEMS_SHOWN)),
    }
    if request.htmx:
        return render(request, "customers/io/partials/_import_job.html", context)
    return render(request, "customers/io/import_job.html", context)


@never_cache
@login_required
@permission_required("customers.import_customer", raise_exception=True)
@http_errors
def customer_import_rejects(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows an import skipped, with 错误原因, as a CSV Excel opens."""
    job = import_jobs.import_job_get(viewer=request.user, pk=pk)
    if not job.rejects_path or not os.path.isfile(job.rejects_path):
        raise NotFound()
    stem = os.path.splitext(job.file_name)[0] or "import"
    return FileResponse(
        open(job.rejects_path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=f"{stem}-{_('rejected rows')}.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
@permission_required("customers.import_customer", raise_exception=True)
def customer_import_template(request: HttpRequest) -> HttpResponse:
    """An empty workbook with the import columns and one example row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    sheet.append(list(FILE_HEADERS.values()))
    sheet.append(
        ["C0001", "个人", "张伟", "110101199003071233", "13812345678", "人民路88号"]
        + ["(单位编码)", "88.50", "", "宽带;移动", "02588886666@kd;13812345678", "老年客户"]
    )
    with tempfile.TemporaryFile() as fh:
        workbook.save(fh)
        fh.seek(0)
        data = fh.read()
    response = HttpResponse(
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="customer-import-template.xlsx"'
    return response


@never_cache
@login_required
@permission_required("customers.export_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_export(request: HttpRequest) -> HttpResponse:
    """导出: the customer list's current filters as .xlsx (POST with a reason: unmasked)."""
    units = list(org_units_visible(request.user).only("pk", "name", "depth"))
    filters = valid_filters(CustomerSearchForm(request.GET or None, units=units))
    filters.pop("page", None)
    unmasked = request.method == "POST" and request.POST.get("unmasked") == "1"
    directory = tempfile.mkdtemp(prefix="kefu-export-")
    path = os.path.join(directory, "export.xlsx")
    try:
        count = customers_export(
            actor=request.user,
            path=path,
            filters=filters,
            unmasked=unmasked,
            reason=request.POST.get("reason", "") if unmasked else "",
            ip=client_ip(request),
        )
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except KefuError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(
            f"{reverse('customers:customer_list')}?{request.GET.urlencode()}"
        )
    finally:
        # The open handle keeps the data; the name goes at once (no PII left on disk).
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(directory)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{_('customers')}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["X-Kefu-Rows"] = str(count)
    return response
