"""`{% order_callbacks order %}`: the order page's 回访 card — each callback of the order
(a reopened order has its withdrawn one too), how it went and what the customer said. The
viewer already sees the order; the link to the callback's desk page shows only to a
回访员 whose scope holds the callback's unit."""

from __future__ import annotations

from django import template

from kefu.callbacks.models import CallbackItem
from kefu.callbacks.selectors import callbacks_visible

register = template.Library()


@register.inclusion_tag("callbacks/partials/_order_callbacks.html", takes_context=True)
def order_callbacks(context, order):
    viewer = context["request"].user
    items = list(
        CallbackItem.objects.filter(order=order)
        .select_related("task", "reason", "follow_up_order")
        .order_by("-pk")
    )
    desk_ids = set()
    if viewer.has_perm("callbacks.handle_callback"):
        task_ids = [i.task_id for i in items if i.task_id]
        desk_ids = set(
            callbacks_visible(viewer).filter(pk__in=task_ids).values_list("pk", flat=True)
        )
    return {"items": items, "desk_ids": desk_ids}
