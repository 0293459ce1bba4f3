"""How a value of the change log reads: a unit's name, 是/否, a list joined, — for none."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def change_value(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, dict):
        return str(value.get("name", value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"
