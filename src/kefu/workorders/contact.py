"""联系客户: the order's handler (or its owner of record) sees the order's contact number.

A handler must call the customer within the first-contact limit, yet holds no view_pii and
sees only 156****2974. This reveal is scoped to one order: only its current handler or its
owner of record, only while it is open, only its own contact number (the caller number
taken at intake, else the customer's phone), and every reveal is written to the access log
(查阅登记) naming the order. Everyone else reveals through the customer archive, with
view_pii, as before.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.customers.models import AccessAction, AccessLog
from kefu.workorders.models import WorkOrder


def work_order_contact_number(order: WorkOrder) -> str:
    """The number to call about this order: the caller's, else the customer's phone."""
    if order.caller_phone:
        return order.caller_phone
    return order.customer.phone if order.customer_id else ""


def can_reveal_contact(user, order: WorkOrder) -> bool:
    """Whether `user` gets the 联系客户 button on this order."""
    return (
        user.is_authenticated
        and user.pk in (order.handler_id, order.owner_id)
        and order.is_open
        and bool(work_order_contact_number(order))
    )


def work_order_contact_reveal(*, actor, order: WorkOrder, ip: str | None = None) -> str:
    """The order's contact number in clear, logged in the access log with the order's number.

    The caller must already have found `order` through the work-order selectors (its data
    scope); here only the order's handler and owner of record are let through.
    """
    if actor.pk not in (order.handler_id, order.owner_id):
        raise PermissionDenied(
            _("Only the order's handler or the agent who took it in may reveal its contact number.")
        )
    if not order.is_open:
        raise PermissionDenied(_("The order is finished; its contact number is no longer shown."))
    number = work_order_contact_number(order)
    if not number:
        raise ValidationFailed.for_fields(
            {str(_("Contact number")): [_("the order has no contact number")]}
        )
    staff = getattr(actor, "staff", None)
    with transaction.atomic():
        AccessLog.objects.create(
            actor=actor,
            action=AccessAction.REVEAL,
            customer_id=order.customer_id,
            fields="caller_phone" if order.caller_phone else "phone",
            work_order_number=order.number,
            reason=(
                _("Contact the customer about work order %(number)s") % {"number": order.number}
            )[:200],
            ip=ip,
            actor_unit_id=staff.org_unit_id if staff else None,
        )
    return number
