"""Every write to the customer archive. Keyword-only, one transaction each.

The change register, the identity check and the access-logged reveals and exports are in
services_pii.py.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.core import cn_validation as cnv
from kefu.core.errors import (
    Conflict,
    PermissionDenied,
    ValidationFailed,
)
from kefu.core.masking import mask_id_number, mask_phone
from kefu.customers import tiering
from kefu.customers.models import (
    ContactKind,
    Customer,
    CustomerContact,
    CustomerHistory,
    CustomerKind,
    CustomerProduct,
    HistorySource,
    ProductKind,
    PyramidCutoff,
    ServiceTier,
    Tag,
    TierThreshold,
)
from kefu.customers.validation import FIELD_LABELS, REASONS, clean_customer_fields, clean_text
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for

SENSITIVE_FIELDS = ("name", "id_number", "phone", "address")  # need the change register
EDITABLE_FIELDS = ("monthly_value", "gov_series", "org_unit", "manager", "tags")
HISTORY_FIELDS = (
    "name",
    "kind",
    "id_number",
    "phone",
    "address",
    "org_unit",
    "manager",
    "gov_series",
    "monthly_value",
    "tier",
    "tier_override",
    "tier_override_reason",
    "pyramid",
    "customer_class",
)


# --- rules ------------------------------------------------------------------------------


def tier_thresholds(kind: str) -> dict[str, Decimal]:
    defaults = (
        tiering.DEFAULT_INDIVIDUAL_THRESHOLDS
        if kind == CustomerKind.INDIVIDUAL
        else tiering.DEFAULT_GOV_THRESHOLDS
    )
    stored = dict(TierThreshold.objects.filter(kind=kind).values_list("level", "min_monthly_value"))
    return {level: stored.get(level, default) for level, default in defaults.items()}


def tier_decide(
    *,
    kind: str,
    monthly_value: Decimal,
    gov_series: str = "",
    thresholds: dict[str, Decimal] | None = None,
) -> tiering.TierDecision:
    thresholds = thresholds or tier_thresholds(kind)
    if kind == CustomerKind.INDIVIDUAL:
        return tiering.individual_tier(monthly_value, thresholds)
    return tiering.gov_tier(monthly_value, gov_series or "B", thresholds)


def pyramid_min_values() -> dict[str, Decimal | None]:
    return dict(PyramidCutoff.objects.values_list("layer", "min_value"))


def _classify(customer: Customer, *, thresholds=None, pyramid_mins=None) -> None:
    customer.tier = tier_decide(
        kind=customer.kind,
        monthly_value=customer.monthly_value,
        gov_series=customer.gov_series,
        thresholds=thresholds,
    ).tier
    mins = pyramid_mins if pyramid_mins is not None else pyramid_min_values()
    customer.pyramid = tiering.pyramid_layer(customer.monthly_value, mins)
    customer.customer_class = tiering.PYRAMID_TO_CLASS[customer.pyramid]


# --- helpers ----------------------------------------------------------------------------


def _require(actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied()


def _require_unit_in_scope(actor, unit: OrgUnit) -> None:
    if not scope_for(actor).covers_unit(unit):
        raise ValidationFailed.for_fields({"org_unit": [_("is outside your data scope")]})


def _require_manager_in_scope(actor, manager) -> None:
    """An account manager must be staff the actor can see: no handing customers to strangers."""
    if manager is None:
        return
    staff = getattr(manager, "staff", None)  # RelatedObjectDoesNotExist is an AttributeError
    if staff is None or not scope_for(actor).covers_unit(staff.org_unit):
        raise ValidationFailed.for_fields(
            {str(_("Account manager")): [_("must be a staff member inside your data scope")]}
        )


def _raise_field_errors(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed.for_fields(
            {str(FIELD_LABELS.get(f, f)): [msg] for f, msg in errors.items()}
        )


_TAG_SEPARATORS = frozenset(";；,，、|")  # what the importer splits a tag cell on


def _tags(names: list[str]) -> list[Tag]:
    """Tags by name, created as needed. A name holding a list separator is refused: the
    export would write it and the import read it back as two tags."""
    names = [str(n).strip() for n in names if str(n).strip()]
    bad = [n for n in names if _TAG_SEPARATORS.intersection(n)]
    if bad:
        raise ValidationFailed.for_fields(
            {
                str(FIELD_LABELS["tags"]): [
                    _("a tag may not contain ; , 、 or |: %(tag)s") % {"tag": bad[0][:40]}
                ]
            }
        )
    return [Tag.objects.get_or_create(name=n)[0] for n in dict.fromkeys(names)]


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {
        f: _plain(getattr(customer, f if f not in ("org_unit", "manager") else f + "_id"))
        for f in HISTORY_FIELDS
    }


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


_MASKERS = {"phone": mask_phone, "id_number": mask_id_number}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as history keeps them: personal data masked, never in clear."""
    changes = {}
    for key, new in after.items():
        old = before.get(key)
        if old != new:
            mask = _MASKERS.get(key, lambda v: v)
            changes[key] = [mask(old) if old else old, mask(new) if new else new]
    return changes


def _set_id_number(customer: Customer, value: str) -> None:
    customer.id_number = value
    customer.id_number_rev = value[::-1]


def _assign_code(customer: Customer) -> None:
    """Number a customer saved without one from its own id (C000000042), as imports do.

    Derived from the id the database handed out, so two agents saving at once never
    draw the same number; a number someone already typed in by hand gets a suffix.
    """
    code = f"C{customer.pk:09d}"
    if Customer.objects.filter(code=code).exists():
        code = f"{code}-{uuid.uuid4().hex[:6]}"
    Customer.objects.filter(pk=customer.pk).update(code=code)
    customer.code = code


# --- writes -----------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor,
    data: dict[str, Any],
    org_unit: OrgUnit,
    products: list[dict[str, str]] = (),
    tags: list[str] = (),
) -> Customer:
    _require(actor, "customers.add_customer")
    _require_unit_in_scope(actor, org_unit)
    cleaned, errors = clean_customer_fields(data)
    _raise_field_errors(errors)
    if cleaned.get("code") and Customer.objects.filter(code=cleaned["code"]).exists():
        _raise_field_errors({"code": _("already exists")})
    customer = Customer(org_unit=org_unit, **{k: v for k, v in cleaned.items() if k != "id_number"})
    customer.code = cleaned.get("code") or uuid.uuid4().hex  # 32 chars, unique until numbered
    _set_id_number(customer, cleaned.get("id_number", ""))
    _classify(customer)
    customer.save()
    if not cleaned.get("code"):
        _assign_code(customer)
    for product in products:
        customer_product_add(actor=actor, customer=customer, **product)
    if tags:
        customer.tags.set(_tags(tags))
    CustomerHistory.objects.create(
        customer=customer,
        actor=actor,
        source=HistorySource.CREATE,
        changes=_diff({}, _snapshot(customer)),
    )
    return customer


def _lock(customer: Customer, expected_version: int | None) -> Customer:
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


def _save_with_history(
    customer: Customer, before: dict[str, Any], *, actor, source: str, note: str = ""
) -> Customer:
    changes = _diff(before, _snapshot(customer))
    if not changes:
        return customer
    customer.version = F("version") + 1
    customer.save()
    customer.refresh_from_db()
    CustomerHistory.objects.create(
        customer=customer, actor=actor, source=source, changes=changes, note=note[:200]
    )
    return customer


@transaction.atomic
def customer_update(
    *, actor, customer: Customer, data: dict[str, Any], expected_version: int | None = None
) -> Customer:
    """Change non-sensitive fields. Name, ID number, phone and address need the register."""
    _require(actor, "customers.change_customer")
    sensitive = [f for f in SENSITIVE_FIELDS if f in data]
    if sensitive:
        raise ValidationFailed.for_fields(
            {
                str(FIELD_LABELS[f]): [
                    _("change it through the change register with an identity check")
                ]
                for f in sensitive
            }
        )
    customer = _lock(customer, expected_version)
    before = _snapshot(customer)
    cleaned, errors = clean_customer_fields(
        {k: v for k, v in data.items() if k in ("monthly_value", "gov_series")}, partial=True
    )
    _raise_field_errors(errors)
    for field, value in cleaned.items():
        setattr(customer, field, value)
    if "org_unit" in data and data["org_unit"] is not None:
        _require_unit_in_scope(actor, data["org_unit"])
        customer.org_unit = data["org_unit"]
    if "manager" in data:
        _require_manager_in_scope(actor, data["manager"])
        customer.manager = data["manager"]
    if "tags" in data:
        customer.tags.set(_tags(data["tags"]))
    _classify(customer)
    return _save_with_history(customer, before, actor=actor, source=HistorySource.EDIT)


@transaction.atomic
def customer_tier_override(*, actor, customer: Customer, tier: str, reason: str) -> Customer:
    """Set (or with tier="" clear) a manual tier; a reason is mandatory."""
    _require(actor, "customers.change_customer")
    reason = (reason or "").strip()
    if tier and tier not in ServiceTier.values:
        raise ValidationFailed.for_fields({str(_("Tier")): [_("unknown tier")]})
    if tier and not reason:
        raise ValidationFailed.for_fields({str(_("Reason")): [_("is required")]})
    individual = customer.kind == CustomerKind.INDIVIDUAL
    if tier and (tier in tiering.INDIVIDUAL_TIERS) != individual:
        raise ValidationFailed.for_fields(
            {str(_("Tier")): [_("does not apply to this customer type")]}
        )
    customer = _lock(customer, None)
    before = _snapshot(customer)
    customer.tier_override = tier
    customer.tier_override_reason = reason[:200] if tier else ""
    return _save_with_history(customer, before, actor=actor, source=HistorySource.TIER, note=reason)


@transaction.atomic
def customer_product_add(
    *, actor, customer: Customer, kind: str, account_number: str, name: str = "", since=None
) -> CustomerProduct:
    if kind not in ProductKind.values:
        raise ValidationFailed.for_fields({str(_("Product type")): [_("unknown product type")]})
    account_number = (account_number or "").strip()
    if not account_number or len(account_number) > 40:
        raise ValidationFailed.for_fields(
            {str(_("Account number")): [_("is required, at most 40 characters")]}
        )
    product = CustomerProduct(
        customer=customer, kind=kind, account_number=account_number, name=name[:100], since=since
    )
    product.save()
    return product


PHONE_CONTACT_KINDS = (ContactKind.MOBILE, ContactKind.LANDLINE)  # masked like the phone


def _normalize_email(value: str) -> str:
    email = clean_text(value, max_length=200, required=True)
    try:
        validate_email(email)
    except DjangoValidationError:
        raise cnv.InvalidValue("not a valid e-mail address") from None
    return email


def contact_search_key(kind: str, value: str) -> str:
    """What a contact is looked up by: a phone's digits, an e-mail address in lower case
    (mail intake matches a sender to the archive by it)."""
    if kind in PHONE_CONTACT_KINDS:
        return cnv.phone_search_key(value)
    return value.lower() if kind == ContactKind.EMAIL else ""


_CONTACT_NORMALIZERS = {
    ContactKind.MOBILE: cnv.normalize_mobile,
    ContactKind.LANDLINE: cnv.normalize_landline,
    ContactKind.EMAIL: _normalize_email,
    ContactKind.ADDRESS: lambda v: clean_text(v, max_length=200, required=True),
}


@transaction.atomic
def customer_contact_add(
    *, actor, customer: Customer, kind: str, value: str, label: str = ""
) -> CustomerContact:
    """A further contact (another mobile, a landline, an e-mail, an address) of a customer.

    Phone contacts are stored normalised with their search key, so a search by that number
    finds the customer too.
    """
    _require(actor, "customers.change_customer")
    if kind not in _CONTACT_NORMALIZERS:
        raise ValidationFailed.for_fields({str(_("Contact type")): [_("unknown contact type")]})
    try:
        value = _CONTACT_NORMALIZERS[kind](str(value or ""))
        label = clean_text(label, max_length=30, required=False)
    except cnv.InvalidValue as exc:
        raise ValidationFailed.for_fields(
            {str(_("Contact")): [str(REASONS.get(exc.reason, exc.reason))]}
        ) from None
    contact = CustomerContact(
        customer=customer,
        kind=kind,
        value=value,
        label=label,
        search_key=contact_search_key(kind, value),
    )
    contact.save()
    return contact


@transaction.atomic
def pyramid_recompute() -> dict[str, int]:
    """Re-rank every customer by monthly value and reassign pyramid layer and class.

    Four UPDATE statements whatever the table size: each layer's minimum value is read at
    its rank position, ties at a boundary go to the higher layer.
    """
    cutoffs = dict(PyramidCutoff.objects.values_list("layer", "top_percent"))
    top_percent = {k: cutoffs.get(k, v) for k, v in tiering.DEFAULT_PYRAMID_TOP_PERCENT.items()}
    total = Customer.objects.count()
    positions = tiering.pyramid_rank_positions(total, top_percent)
    values = Customer.objects.order_by("-monthly_value").values_list("monthly_value", flat=True)
    mins: dict[str, Decimal | None] = {}
    for layer in tiering.PYRAMID_LAYERS[:-1]:
        pos = positions[layer]
        mins[layer] = values[pos - 1] if pos else None
    mins["small"] = Decimal("0")
    counts: dict[str, int] = {}
    remaining = Customer.objects.all()
    for layer in tiering.PYRAMID_LAYERS:
        minimum = mins[layer]
        counts[layer] = 0
        if minimum is not None:
            in_layer = remaining.filter(monthly_value__gte=minimum)
            customer_class = tiering.PYRAMID_TO_CLASS[layer]
            # Write only rows whose layer changes: after a bulk import most already fit.
            in_layer.exclude(pyramid=layer, customer_class=customer_class).update(
                pyramid=layer, customer_class=customer_class
            )
            counts[layer] = in_layer.count()
            remaining = remaining.filter(monthly_value__lt=minimum)
        PyramidCutoff.objects.update_or_create(
            layer=layer, defaults={"top_percent": top_percent[layer], "min_value": minimum}
        )
    return counts
