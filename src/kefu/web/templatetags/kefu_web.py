"""Display helpers for every app's templates: masking, money. Customer ones (tier badges,
the access log's field names) are in kefu.customers.templatetags.kefu_customers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from kefu.core import masking

register = template.Library()


@register.filter
def mask_phone(value: str) -> str:
    return masking.mask_phone(value or "")


@register.filter
def mask_id(value: str) -> str:
    return masking.mask_id_number(value or "")


@register.filter
def money(value) -> str:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not amount.is_finite():
        return ""
    return f"¥{amount:,.2f}"
