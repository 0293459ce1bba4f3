"""Action input from the edges — the API's action serializer, the web action forms —
turned into what the typed action services (`kefu.workorders.actions`) take: ids into
records, "true"/"on" into booleans, blanks into None.

An id that names nothing (or a unit no longer active, or an order the actor cannot
see) is a 400 naming the field. Whether a record may be the target of the write — a unit
inside the actor's reach, a handler of that unit — the services decide.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.org.models import OrgUnit
from kefu.workorders.models import Category, CategoryKind, WorkOrder
from kefu.workorders.selectors import work_order_visible

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
MAX_ID = 2**63 - 1


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _id(value: Any, field: str) -> int:
    text = str(getattr(value, "pk", value)).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    return int(text)


def _record(model, value: Any, field: str, **where):
    found = model.objects.filter(pk=_id(value, field), **where).first()
    if found is None:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    return found


def _unit(value: Any, field: str) -> OrgUnit:
    return _record(OrgUnit, value, field, is_active=True)


def _boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})


def _order(actor, value: Any) -> WorkOrder:
    order = work_order_visible(viewer=actor, key=value)
    if order is None:
        raise ValidationFailed.for_fields({"target": [_("No such work order.")]})
    return order


_CONVERT = {
    "unit": lambda actor, v: _unit(v, "unit"),
    "responsible_unit": lambda actor, v: _unit(v, "responsible_unit"),
    "units": lambda actor, v: [_unit(u, "units") for u in v],
    "handler": lambda actor, v: _record(get_user_model(), v, "handler", is_active=True),
    "cause": lambda actor, v: _record(
        Category, v, "cause", kind=CategoryKind.CAUSE, is_active=True
    ),
    "justified": lambda actor, v: _boolean(v, "justified"),
    "target": _order,
}


def action_arguments(actor, data: dict[str, Any]) -> dict[str, Any]:
    """`data` (field → raw value) with ids resolved to records; blank values left out."""
    arguments = {}
    for field, value in data.items():
        if _blank(value):
            continue
        convert = _CONVERT.get(field)
        arguments[field] = convert(actor, value) if convert else value
    return arguments
