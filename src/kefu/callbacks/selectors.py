"""Reads of callbacks, always inside the viewer's data scope (the task's callback unit)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from kefu.callbacks.models import (
    CallbackPolicy,
    CallbackTask,
    ClockState,
    InboundSms,
    InboundStatus,
    TaskStatus,
)
from kefu.core.errors import NotFound
from kefu.org.scope import scope_filter, scope_for

QUEUE_FILTERS = ("all", "manual", "follow_up", "overdue", "mine")
REVIEW_FILTERS = (InboundStatus.REVIEW, InboundStatus.UNMATCHED)


def callbacks_visible(viewer) -> QuerySet[CallbackTask]:
    return CallbackTask.objects.filter(scope_filter(viewer, unit_field="unit"))


def callback_queue(viewer, *, show: str = "all") -> QuerySet[CallbackTask]:
    """回访台: the open callbacks of the viewer's scope, earliest due first (the overdue on
    top), ties on id."""
    tasks = callbacks_visible(viewer).filter(status=TaskStatus.OPEN)
    if show == "manual":
        tasks = tasks.filter(mode="manual")
    elif show == "follow_up":
        tasks = tasks.filter(follow_up=True)
    elif show == "overdue":
        tasks = tasks.filter(clock_state=ClockState.BREACHED)
    elif show == "mine":
        tasks = tasks.filter(assigned_to=viewer)
    return (
        tasks.select_related("unit", "customer", "plan")
        .prefetch_related("items__order")
        .order_by("due_at", "pk")
    )


def callback_task_get(viewer, pk: int) -> CallbackTask:
    task = (
        callbacks_visible(viewer)
        .select_related("unit", "customer", "plan", "assigned_to__staff")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise NotFound()
    return task


def script_for(task: CallbackTask) -> str:
    """回访提纲: the plan's, else the policy's of the first order's type."""
    if task.plan_id:
        return task.plan.script
    first = next((i.order for i in task.items.all() if i.order_id), None)
    if first is None:
        return ""
    policy = CallbackPolicy.objects.filter(order_type_id=first.order_type_id).first()
    return policy.script if policy else ""


def is_late(task: CallbackTask) -> bool:
    return task.is_open and timezone.now() > task.deadline_at


def _reviewable(viewer) -> Q:
    """Replies of the viewer's scope (their callback's unit); a reply matched to no
    callback has no unit, so only a viewer who sees every unit gets those."""
    q = Q(status=InboundStatus.REVIEW) & scope_filter(viewer, unit_field="task__unit")
    if scope_for(viewer).sees_all:
        q |= Q(status=InboundStatus.UNMATCHED)
    return q


def sms_review_queue(viewer, *, status: str = "") -> QuerySet[InboundSms]:
    """待人工识别: the replies nobody could read, oldest first — that customer has waited
    longest."""
    replies = InboundSms.objects.filter(_reviewable(viewer))
    if status:
        replies = replies.filter(status=status)
    return replies.select_related("task__unit").order_by("received_at", "pk")


def sms_reply_get(viewer, pk: int) -> InboundSms:
    reply = sms_review_queue(viewer).filter(pk=pk).first()
    if reply is None:
        raise NotFound()
    return reply
