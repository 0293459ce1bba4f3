"""Writes that touch personal data under a log entry (every one keyword-only).

变更登记 (change register): sensitive fields change only after an identity check (身份核验)
against the archive. 查阅登记 (access log): every identity check, every reveal of a
masked number and every export of customer data is logged with who, when and from where.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import cn_validation as cnv
from kefu.core.errors import (
    Conflict,
    IdentityCheckFailed,
    NotFound,
    TooManyIdentityChecks,
    ValidationFailed,
)
from kefu.customers.models import (
    AccessAction,
    AccessLog,
    ChangeRequest,
    Customer,
    HistorySource,
    IdentityCheck,
)
from kefu.customers.pii import is_phone_account
from kefu.customers.services import (
    PHONE_CONTACT_KINDS,
    SENSITIVE_FIELDS,
    _diff,
    _lock,
    _raise_field_errors,
    _require,
    _save_with_history,
    _set_id_number,
    _snapshot,
)
from kefu.customers.validation import clean_customer_fields

# --- change register and identity check -------------------------------------------------


def customer_change_register(
    *,
    actor,
    customer: Customer,
    changes: dict[str, Any],
    identity: dict[str, str],
    reason: str,
    channel: str = "",
    ip: str | None = None,
) -> ChangeRequest:
    """客户信息变更登记: verify identity against the archive, then apply and record.

    `identity` holds what the customer stated (ID number, phone, address); every stated
    item must match the archive, and at least one item the archive holds must be stated.
    The identity check runs first and is logged (customer_identity_check) whatever else is
    wrong with the request, so a bad change or a missing reason never turns the register
    into an unlogged way of confirming someone's ID number or phone.
    """
    _require(actor, "customers.register_change")
    passed = customer_identity_check(actor=actor, customer=customer, identity=identity, ip=ip)
    unknown = [k for k in changes if k not in SENSITIVE_FIELDS]
    if unknown or not changes:
        raise ValidationFailed.for_fields(
            {str(_("Changes")): [_("only name, ID number, phone and address are registered")]}
        )
    if not (reason or "").strip():
        raise ValidationFailed.for_fields({str(_("Reason")): [_("is required")]})
    with transaction.atomic():
        customer = _lock(customer, None)
        if _identity_mismatches(customer, _stated_identity(identity)):
            raise Conflict()  # the archive changed between the check and the lock
        cleaned, errors = clean_customer_fields({"kind": customer.kind, **changes}, partial=True)
        cleaned.pop("kind", None)
        _raise_field_errors(errors)
        before = _snapshot(customer)
        for field, value in cleaned.items():
            if field == "id_number":
                _set_id_number(customer, value)
            else:
                setattr(customer, field, value)
        entry = ChangeRequest.objects.create(
            customer=customer,
            registered_by=actor,
            changes=_diff(before, _snapshot(customer)),
            identity_checks=passed,
            reason=reason.strip()[:200],
            channel=channel[:30],
        )
        _save_with_history(
            customer, before, actor=actor, source=HistorySource.CHANGE_REGISTER, note=reason
        )
    return entry


def _stated_identity(identity: dict[str, str] | None) -> dict[str, str]:
    return {
        k: str(v or "").strip()
        for k, v in (identity or {}).items()
        if k in IdentityCheck.values and str(v or "").strip()
    }


def _identity_mismatches(customer: Customer, stated: dict[str, str]) -> list[str]:
    def same(kind: str, value: str) -> bool:
        stored = getattr(customer, kind) or ""
        if kind == IdentityCheck.PHONE:
            return cnv.phone_search_key(value) == cnv.phone_search_key(stored)
        if kind == IdentityCheck.ID_NUMBER:
            return value.upper() == stored.upper()
        return value == stored.strip()

    return [k for k, v in stated.items() if not same(k, v)]


def identity_failures_recent(customer: Customer) -> int:
    """Failed identity checks on this customer within the throttle window (all actors)."""
    since = timezone.now() - timedelta(minutes=settings.KEFU_IDENTITY_FAILURE_WINDOW_MINUTES)
    return AccessLog.objects.filter(
        customer=customer, action=AccessAction.IDENTITY_FAILED, at__gte=since
    ).count()


def customer_identity_check(
    *, actor, customer: Customer, identity: dict[str, str], ip: str | None = None
) -> list[str]:
    """身份核验: compare what a caller stated with the archive; the checked fields, or raise.

    Each comparison is written to the access log (查阅登记) as passed or failed, naming the
    fields checked, in a transaction of its own that commits before any later error of the
    request: the outcome is never learned unlogged. After KEFU_IDENTITY_FAILURES failures
    on one customer within the window (by anyone), further checks are refused without
    comparing (TooManyIdentityChecks, 429) until the window has passed; supervisors see the
    failures in the access log and on the customer's 360 page.
    """
    _require(actor, "customers.register_change")
    stated = _stated_identity(identity)
    if not stated:
        raise IdentityCheckFailed(_("State at least one of ID number, phone or address."))
    if identity_failures_recent(customer) >= settings.KEFU_IDENTITY_FAILURES:
        raise TooManyIdentityChecks()
    failed = _identity_mismatches(customer, stated)
    holds_any = any(getattr(customer, k) for k in stated)
    passed = not failed and holds_any
    with transaction.atomic():
        AccessLog.objects.create(
            actor=actor,
            action=AccessAction.IDENTITY_PASSED if passed else AccessAction.IDENTITY_FAILED,
            customer=customer,
            fields=",".join(sorted(stated)),
            reason=(
                str(_("did not match: %(fields)s") % {"fields": ",".join(sorted(failed))})
                if failed
                else ""
            )[:200],
            ip=ip,
            actor_unit_id=_actor_unit_id(actor),
        )
    if failed:
        raise IdentityCheckFailed(
            _("Identity check failed: %(fields)s does not match the archive.")
            % {"fields": "、".join(str(IdentityCheck(k).label) for k in failed)}
        )
    if not holds_any:
        raise IdentityCheckFailed(_("The archive holds none of the stated items to check."))
    return sorted(stated)


# --- access log -------------------------------------------------------------------------


def _actor_unit_id(actor) -> int | None:
    staff = getattr(actor, "staff", None)
    return staff.org_unit_id if staff else None


@transaction.atomic
def customer_reveal(
    *,
    actor,
    customer: Customer,
    fields: tuple[str, ...] = ("phone",),
    reason: str = "",
    ip: str | None = None,
    contact_id: int | None = None,
    product_id: int | None = None,
) -> dict[str, str]:
    """Return unmasked personal data and write the 查阅登记 entry in the same transaction.

    `fields` picks the customer's own phone and/or ID number. With `contact_id`, one further
    phone contact (mobile or landline) of this customer is revealed instead, keyed and
    logged as "contact:<id>"; with `product_id`, the account number of one of their phone
    products (mobile, fixed line), keyed and logged as "product:<id>". A contact or product
    of another customer is NotFound.
    """
    _require(actor, "customers.view_pii")
    if product_id is not None:
        product = customer.products.filter(pk=product_id).first()
        if product is None:
            raise NotFound()
        if not is_phone_account(product.kind):
            raise ValidationFailed.for_fields(
                {str(_("Product")): [_("only phone-number accounts are masked and revealed")]}
            )
        clear = {f"product:{product.pk}": product.account_number}
    elif contact_id is not None:
        contact = customer.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise NotFound()
        if contact.kind not in PHONE_CONTACT_KINDS:
            raise ValidationFailed.for_fields(
                {str(_("Contact")): [_("only phone contacts are masked and revealed")]}
            )
        clear = {f"contact:{contact.pk}": contact.value}
    else:
        fields = tuple(f for f in fields if f in ("phone", "id_number"))
        if not fields:
            raise ValidationFailed.for_fields({str(_("Fields")): [_("choose phone or ID number")]})
        clear = {f: getattr(customer, f) for f in fields}
    AccessLog.objects.create(
        actor=actor,
        action=AccessAction.REVEAL,
        customer=customer,
        fields=",".join(clear),
        reason=(reason or "")[:200],
        ip=ip,
        actor_unit_id=_actor_unit_id(actor),
    )
    return clear


def access_log_export(
    *,
    actor,
    row_count: int,
    unmasked: bool,
    reason: str = "",
    ip: str | None = None,
    target: str = "",
) -> AccessLog:
    """Record an export of customer data (masked or not) in the access log."""
    return AccessLog.objects.create(
        actor=actor,
        action=AccessAction.EXPORT,
        row_count=row_count,
        fields="phone,id_number" if unmasked else "masked",
        reason=(reason or target)[:200],
        ip=ip,
        actor_unit_id=_actor_unit_id(actor),
    )
