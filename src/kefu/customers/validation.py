"""Field-level validation of customer data shared by the UI, the API and the importer.

Returns messages in the active language naming the field, so an importer can prefix the
row number ("第12行 身份证号: 校验位错误").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core import cn_validation as cnv
from kefu.customers.models import NAME_MAX, CustomerKind, GovSeries

FIELD_LABELS = {
    "code": gettext_lazy("Customer number"),
    "kind": gettext_lazy("Customer type"),
    "name": gettext_lazy("Name"),
    "id_number": gettext_lazy("ID number"),
    "phone": gettext_lazy("Phone"),
    "address": gettext_lazy("Address"),
    "org_unit": gettext_lazy("Org unit"),
    "monthly_value": gettext_lazy("Monthly consumption"),
    "gov_series": gettext_lazy("Gov-enterprise series"),
    "product_kind": gettext_lazy("Product type"),
    "account_number": gettext_lazy("Account number"),
    "tags": gettext_lazy("Tags"),
    "id_suffix": gettext_lazy("ID number suffix"),
}

REASONS = {
    # msgids from kefu.core.cn_validation, listed so makemessages sees them
    "must be 18 characters": gettext_lazy("must be 18 characters"),
    "must be 17 digits followed by a digit or X": gettext_lazy(
        "must be 17 digits followed by a digit or X"
    ),
    "invalid birth date": gettext_lazy("invalid birth date"),
    "wrong check digit": gettext_lazy("wrong check digit"),
    "not a valid mainland mobile number": gettext_lazy("not a valid mainland mobile number"),
    "not a valid landline with area code": gettext_lazy("not a valid landline with area code"),
    "not a valid phone number": gettext_lazy("not a valid phone number"),
    "not a valid e-mail address": gettext_lazy("not a valid e-mail address"),
}


# Precomputed: the importer validates a million rows; Choices.values rebuilds a list per call.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f]")
_KINDS = frozenset(CustomerKind.values)
_SERIES = frozenset(GovSeries.values)


def _has_control_chars(value: str) -> bool:
    return _CONTROL_CHARS.search(value) is not None


def clean_text(value: Any, *, max_length: int, required: bool) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise cnv.InvalidValue(_("is required"))
    if len(text) > max_length:
        raise cnv.InvalidValue(
            _("too long: %(length)d characters, at most %(max)d")
            % {"length": len(text), "max": max_length}
        )
    if _has_control_chars(text):
        raise cnv.InvalidValue(_("contains control characters"))
    return text


def clean_customer_fields(data: dict[str, Any], *, partial: bool = False):
    """Validate and normalise customer fields.

    Returns (cleaned, errors); `errors` maps a field to one translated message.
    Only keys present in `data` are checked when `partial` is true.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def check(field: str, fn):
        if partial and field not in data:
            return
        try:
            cleaned[field] = fn(data.get(field))
        except cnv.InvalidValue as exc:
            errors[field] = str(REASONS.get(exc.reason, exc.reason))

    check("code", lambda v: clean_text(v, max_length=32, required=False))
    check("name", lambda v: clean_text(v, max_length=NAME_MAX, required=True))
    check("kind", _clean_kind)
    check("address", lambda v: clean_text(v, max_length=200, required=False))
    check("phone", lambda v: cnv.normalize_phone(str(v)) if v not in (None, "") else "")
    check("monthly_value", _clean_money)
    check("gov_series", _clean_series)
    kind = cleaned.get("kind", data.get("kind"))
    check("id_number", lambda v: _clean_id(v, kind))
    if kind == CustomerKind.GOV_ENTERPRISE and not partial and not cleaned.get("gov_series"):
        cleaned["gov_series"] = GovSeries.B
    return cleaned, errors


def _clean_kind(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    aliases = {
        "个人": CustomerKind.INDIVIDUAL,
        "家庭": CustomerKind.INDIVIDUAL,
        "公众": CustomerKind.INDIVIDUAL,
        "政企": CustomerKind.GOV_ENTERPRISE,
        "企业": CustomerKind.GOV_ENTERPRISE,
        "政府": CustomerKind.GOV_ENTERPRISE,
    }
    text = aliases.get(text, text)
    if text not in _KINDS:
        raise cnv.InvalidValue(_("must be individual or gov_enterprise (个人/政企)"))
    return text


def _clean_money(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise cnv.InvalidValue(_("not a number")) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise cnv.InvalidValue(_("must be between 0 and 9999999999.99"))
    return amount.quantize(Decimal("0.01"))


def _clean_series(value: Any) -> str:
    text = "" if value is None else str(value).strip().upper()
    if text and text not in _SERIES:
        raise cnv.InvalidValue(_("must be A or B"))
    return text


def _clean_id(value: Any, kind: str | None) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if kind == CustomerKind.GOV_ENTERPRISE:
        # Enterprises carry an 18-character unified social credit code instead.
        return clean_text(text, max_length=18, required=False).upper()
    return cnv.normalize_id_number(text)
