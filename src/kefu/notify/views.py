"""我的通知: the signed-in user's inbox, and marking it read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from kefu.notify import selectors, services
from kefu.web.paging import page_of


@vary_on_headers("HX-Request")  # same URL, full page or fragment: caches must not mix them
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Inbox messages newest first, unread ones highlighted; htmx paging gets the list only."""
    page = page_of(selectors.inbox_messages(request.user), request.GET.get("page"))
    context = {
        "page": page,
        "unread": selectors.unread_count(request.user),
        # Newest id shown: "mark all read" leaves anything newer unread.
        "newest_id": max((m.pk for m in page.rows), default=0),
    }
    if request.htmx:
        return render(request, "notify/partials/_inbox_rows.html", context)
    return render(request, "notify/inbox.html", context)


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    try:
        up_to = int(request.POST.get("up_to", ""))
    except ValueError:
        up_to = None
    count = services.mark_all_read(user=request.user, up_to_id=up_to)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notify:inbox")
