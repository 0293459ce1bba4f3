"""Writes of the portal: a customer's own request, taken in as a hotline call would be —
the same intake service, so the dispatch rules route it and its time limits start."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.portal.selectors import PORTAL_TYPES, customers_of
from kefu.workorders.models import BusinessLine, Channel, WorkOrder, WorkOrderType
from kefu.workorders.services import work_order_create


def portal_request_create(
    *, phone: str, kind: str, title: str, description: str = "", business_line: str = ""
) -> WorkOrder:
    """A complaint, consultation or fault report filed by the signed-in customer. It has no
    agent as its owner of record: the customer's own unit accepts it (首问负责 falls to
    that unit's supervisors), and the reply goes back by SMS like any other."""
    customer = customers_of(phone).order_by("-pk").first()
    order_type = WorkOrderType.objects.filter(code=kind, is_active=True).first()
    errors: dict[str, list[str]] = {}
    if kind not in PORTAL_TYPES or order_type is None:
        errors["kind"] = [_("Choose a valid option.")]
    line = None
    if business_line:
        line = BusinessLine.objects.filter(code=business_line, is_active=True).first()
        if line is None:
            errors["business_line"] = [_("Choose a valid option.")]
    if customer is None:  # the record went away after sign-in
        errors["__all__"] = [_("Your customer record was not found. Please call the hotline.")]
    if errors:
        raise ValidationFailed.for_fields(errors)
    return work_order_create(
        actor=None,
        order_type=order_type,
        channel=Channel.WEB,
        title=title,
        description=description,
        customer=customer,
        business_line=line,
        caller_phone=phone,
        area_unit=customer.org_unit,
    )
