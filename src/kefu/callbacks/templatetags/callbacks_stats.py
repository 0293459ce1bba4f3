"""`{% customer_satisfaction customer %}`: the customer's recent callback answers on the
customer 360 page (in the viewer's data scope)."""

from __future__ import annotations

from django import template

from kefu.callbacks.models import CallbackItem
from kefu.org.scope import scope_for

register = template.Library()
RECENT = 5


@register.inclusion_tag("callbacks/partials/_customer_satisfaction.html", takes_context=True)
def customer_satisfaction(context, customer):
    viewer = context["request"].user
    items = (
        CallbackItem.objects.filter(task__customer=customer)
        .exclude(level="")
        .filter(scope_for(viewer).q(unit_field="area_unit", owner_field=None, user_id=viewer.pk))
        .select_related("order")
        .order_by("-answered_at", "-pk")[:RECENT]
    )
    return {"items": list(items)}
