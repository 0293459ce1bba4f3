"""Customer display helpers for templates: tier badges and labels, the access log's
field names. `{% load kefu_customers %}`."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import ServiceTier

register = template.Library()


@register.filter
def tier_label(value: str) -> str:
    if not value:
        return ""
    try:
        return str(ServiceTier(value).label)
    except ValueError:
        return value


@register.filter
def tier_css(value: str) -> str:
    """CSS modifier for a tier badge: tier-gold, tier-gov-1 …"""
    if not value:
        return "tier-none"
    if value[0].isdigit():
        return f"tier-gov-{value[0]}"
    return f"tier-{value}"


_PII_FIELD_LABELS = {
    "phone": _("Phone"),
    "id_number": _("ID number"),
    "masked": _("masked only"),
    "caller_phone": _("Caller number"),
    "address": _("Address"),
}


@register.filter
def pii_fields(value: str) -> str:
    """ "phone,id_number" → "手机号、身份证号" for the access log; "contact:7" is one of the
    customer's further phone contacts."""
    parts = [p for p in (value or "").split(",") if p]
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(str(_pii_field_label(p)) for p in parts) or "—"


def _pii_field_label(part: str):
    if part.startswith("contact:"):
        return _("Other phone (contact #%(id)s)") % {"id": part.removeprefix("contact:")}
    if part.startswith("product:"):
        return _("Phone account (product #%(id)s)") % {"id": part.removeprefix("product:")}
    return _PII_FIELD_LABELS.get(part, part)
