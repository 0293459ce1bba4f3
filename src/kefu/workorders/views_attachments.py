"""附件 download on the work-order page: only for those who may see the order."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from kefu.web.errors import http_errors
from kefu.workorders.attachments import attachment_file, attachment_response
from kefu.workorders.views_order import _order_or_404


@require_safe
@login_required
@http_errors
def workorder_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """The file as a download under its original name; an order out of scope is a 404."""
    order = _order_or_404(request.user, number)
    attachment = order.attachments.filter(pk=attachment_id).first()
    if attachment is None or attachment_file(attachment) is None:
        raise Http404()
    return attachment_response(attachment)
