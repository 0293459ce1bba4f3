"""What a signed-in customer may see: their own orders (those of the customer records with
the phone they proved), and of each only what is meant for them.

The timeline is an allow-list of event kinds in the customer's words: internal notes,
transfers, escalations, urging, co-handling and corrections are the centre's business,
and no staff or unit name ever shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.callbacks.models import CallbackItem, TaskStatus
from kefu.core.errors import NotFound
from kefu.customers.models import Customer
from kefu.surveys import links
from kefu.surveys.models import CampaignStatus, Channel, Invitation, InvitationStatus
from kefu.workorders.models import WorkOrder

PORTAL_TYPES = ("fault", "complaint", "consultation")
NUMBER = re.compile(r"[0-9]{1,32}")  # an order number (services._number_for): digits only

# The order's status as the customer is told it.
STATUS_WORDS = {
    "accepted": _("Received"),
    "dispatched": _("Being handled"),
    "returned": _("Received"),
    "in_progress": _("Being handled"),
    "suspended": _("Waiting"),
    "reopened": _("Being handled again"),
    "resolved": _("Done"),
    "replied": _("Done"),
    "closed": _("Finished"),
    "cancelled": _("Withdrawn"),
}

# Event kind → what the customer reads. Anything not here is not shown.
TIMELINE_WORDS = {
    "create": _("Your request was received."),
    "dispatch": _("Your request was passed to the team that handles it."),
    "accept": _("A member of staff took your request on."),
    "contact": _("Staff contacted you."),
    "suspend": _("Handling paused while waiting."),
    "resume": _("Handling resumed."),
    "resolve": _("Handling is done."),
    "reply": _("We replied to you."),
    "reopen": _("Your request is being handled again."),
    "close": _("The request is finished."),
    "cancel": _("The request was withdrawn."),
}


@dataclass(frozen=True)
class Step:
    at: object
    text: str
    detail: str = ""


def customers_of(phone: str) -> QuerySet[Customer]:
    return Customer.objects.filter(phone=phone)


def portal_orders(phone: str) -> QuerySet[WorkOrder]:
    """The signed-in customer's orders, newest first."""
    return (
        WorkOrder.objects.filter(customer__in=customers_of(phone).values("pk"))
        .exclude(merged_into__isnull=False)
        .select_related("order_type")
        .order_by("-created_at", "-pk")
    )


def portal_order_rows(phone: str) -> QuerySet[WorkOrder]:
    """The home page's list: only what a row shows (an order row has 50 columns)."""
    return portal_orders(phone).only("number", "title", "status", "created_at", "order_type__name")


def portal_order(phone: str, number: str) -> WorkOrder:
    """One of the customer's orders; another's (or none) is NotFound, never 403. What
    cannot be a number (a NUL byte, which PostgreSQL refuses to compare) asks nothing."""
    number = str(number)
    order = portal_orders(phone).filter(number=number).first() if NUMBER.fullmatch(number) else None
    if order is None:
        raise NotFound()
    return order


def timeline(order: WorkOrder) -> list[Step]:
    steps = []
    events = order.events.filter(action__in=list(TIMELINE_WORDS)).order_by("created_at", "pk")
    for event in events.only("order", "action", "created_at", "note"):  # "order": no N+1
        detail = event.note if event.action == "reply" else ""  # the reply is for them
        steps.append(Step(event.created_at, str(TIMELINE_WORDS[event.action]), detail))
    return steps


def open_rating(order: WorkOrder) -> CallbackItem | None:
    """The order's callback still waiting for the customer's answer, if any."""
    return (
        CallbackItem.objects.filter(order=order, status=TaskStatus.OPEN)
        .exclude(task__follow_up=True)
        .order_by("-pk")
        .first()
    )


def open_surveys(phone: str) -> list[tuple[str, str]]:
    """(survey name, signed link) of the web surveys waiting for this phone's answer."""
    invitations = (
        Invitation.objects.filter(
            phone=phone,
            status=InvitationStatus.PENDING,
            campaign__channel=Channel.WEB,
            campaign__status=CampaignStatus.SENT,
            campaign__expires_at__gt=timezone.now(),
        )
        .select_related("campaign__version__survey")
        .order_by("-campaign__sent_at", "-pk")[:5]
    )
    return [(i.campaign.version.survey.name, links.link(i)) for i in invitations]
