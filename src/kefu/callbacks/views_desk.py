"""The callback desk 回访台: the queue of open callbacks by due time, and one callback's
page — the script outline, the orders it covers, one-click call outcomes with the answer
about each order, the attempts so far. Reads through kefu.callbacks.selectors (scope),
the write through kefu.callbacks.outcomes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.callbacks import inbound, outcomes, selectors
from kefu.callbacks.models import DissatisfactionReason, InboundStatus, Level, Outcome
from kefu.core.errors import KefuError
from kefu.web.errors import http_errors
from kefu.web.paging import page_of


@login_required
@permission_required("callbacks.handle_callback", raise_exception=True)
def desk(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    show = show if show in selectors.QUEUE_FILTERS else "all"
    page = page_of(selectors.callback_queue(request.user, show=show), request.GET.get("page"))
    return render(request, "callbacks/desk.html", {"page": page, "show": show})


def _answers(post, items) -> dict[int, outcomes.Answer]:
    reasons = DissatisfactionReason.objects.in_bulk(
        [int(v) for k, v in post.items() if k.startswith("reason_") and v.isdigit()]
    )
    answers = {}
    for item in items:
        level = post.get(f"level_{item.pk}", "")
        reason = post.get(f"reason_{item.pk}", "")
        answers[item.pk] = outcomes.Answer(
            level=level,
            reason=reasons.get(int(reason)) if reason.isdigit() else None,
            comment=post.get(f"comment_{item.pk}", "")[:2000],
        )
    return answers


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("callbacks.handle_callback", raise_exception=True)
@http_errors
def task_page(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.callback_task_get(request.user, pk)
    items = list(task.items.select_related("order__order_type", "order__handling_unit", "reason"))
    errors: dict = {}
    error, status = "", 200
    if request.method == "POST":
        open_items = [i for i in items if i.status == "open"]
        outcome = request.POST.get("outcome", "")
        version = request.POST.get("version", "")
        try:
            outcomes.callback_record(
                actor=request.user,
                task=task,
                outcome=outcome,
                answers=_answers(request.POST, open_items) if outcome == Outcome.ANSWERED else None,
                note=request.POST.get("note", ""),
                expected_version=int(version) if version.isdigit() else None,
            )
        except KefuError as exc:
            error, status = exc.message, exc.status
            errors = exc.extra.get("errors", {})
        else:
            messages.success(request, _("Callback recorded."))
            return redirect("callbacks:task", pk=task.pk)
    context = {
        "task": task,
        "items": items,
        "script": selectors.script_for(task),
        "attempts": task.log.select_related("actor__staff"),
        "levels": Level.choices,
        "reasons": DissatisfactionReason.objects.filter(is_active=True).select_related("parent"),
        "outcomes": [(o, Outcome(o).label) for o in outcomes.CALL_OUTCOMES],
        "error": error,
        "errors": errors,
        "can_pii": request.user.has_perm("customers.view_pii"),
    }
    return render(request, "callbacks/task.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("callbacks.handle_callback", raise_exception=True)
@http_errors
def replies(request: HttpRequest) -> HttpResponse:
    """待人工识别: SMS replies nobody could read; a person records what each one means
    (the answer, counted as the SMS would have been) or marks it read."""
    status = request.GET.get("status", InboundStatus.REVIEW)
    status = status if status in selectors.REVIEW_FILTERS else InboundStatus.REVIEW
    error, status_code = "", 200
    if request.method == "POST":
        pk = request.POST.get("reply", "")
        reply = selectors.sms_reply_get(request.user, int(pk) if pk.isdigit() else 0)
        try:
            inbound.inbound_review(
                actor=request.user,
                row=reply,
                level=request.POST.get("level", ""),
                note=request.POST.get("note", "")[:2000],
            )
        except KefuError as exc:
            error, status_code = exc.message, exc.status
        else:
            messages.success(request, _("Reply recorded."))
            return redirect(f"{request.path}?status={status}")
    page = page_of(selectors.sms_review_queue(request.user, status=status), request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "levels": Level.choices,
        "error": error,
        "can_pii": request.user.has_perm("customers.view_pii"),
    }
    return render(request, "callbacks/replies.html", context, status=status_code)
