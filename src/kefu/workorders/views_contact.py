"""联系客户 on the work-order page: the handler's (or owner's) logged reveal of the number."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kefu.core.http import client_ip
from kefu.web.errors import http_errors
from kefu.workorders.contact import work_order_contact_reveal
from kefu.workorders.views_order import _order_or_404


@never_cache  # the response carries the number in clear
@require_POST
@login_required
@http_errors
def workorder_reveal_contact(request: HttpRequest, number: str) -> HttpResponse:
    """Swap the masked contact number for the clear one (htmx); logged with the order."""
    order = _order_or_404(request.user, number)
    clear = work_order_contact_reveal(
        actor=request.user, order=order, ip=client_ip(request) or None
    )
    if request.htmx:
        return render(
            request, "workorders/partials/_contact_revealed.html", {"order": order, "number": clear}
        )
    messages.info(request, _("Contact number (logged): %(number)s") % {"number": clear})
    return redirect("workorders:workorder_detail", number=order.number)
