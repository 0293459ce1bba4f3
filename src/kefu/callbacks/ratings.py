"""评价 on the customer portal: the customer's own answer to their order's callback.

Apart from kefu.callbacks.outcomes because it may first put the callback into a call
(kefu.callbacks.services), which itself reaches the outcomes through the voice gateway.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.callbacks.models import CallbackItem, TaskStatus
from kefu.callbacks.outcomes import CallbackClosed, _locked, callback_answer
from kefu.callbacks.services import callbacks_assign
from kefu.core.errors import NotFound
from kefu.customers.models import Customer
from kefu.workorders.models import WorkOrder


@transaction.atomic
def callback_answer_by_customer(
    *, customer: Customer, order: WorkOrder, level: str, comment: str = ""
) -> CallbackItem:
    """评价 on the customer portal: `customer`'s answer about one of their orders, counted
    as an SMS answer is (the attempt log says "customer portal"): satisfied is archived by
    the monitor's next pass, dissatisfied goes to a person for the follow-up call.

    Another customer's order is NotFound. A callback no call covers yet (the monitor places
    them each minute) is placed now — this order's alone, not the monitor's whole queue.
    When the call covers other orders of the customer too, the answer is about this order
    only; the call stays open for the others."""
    if order.customer_id is None or order.customer_id != customer.pk:
        raise NotFound()
    item = _rated_item(order)
    if item.task_id is None:
        callbacks_assign(now=timezone.now(), order_id=order.pk)
        item.refresh_from_db()
    if item.task_id is None:
        raise CallbackClosed(_("This order waits for no rating."))
    task = _locked(item.task, None)
    item.refresh_from_db()
    if task.follow_up or not task.is_open or item.status != TaskStatus.OPEN:
        raise CallbackClosed(_("This order waits for no rating."))
    callback_answer(task=task, level=level, comment=comment, via="portal", item_id=item.pk)
    item.refresh_from_db()
    return item


def _rated_item(order: WorkOrder) -> CallbackItem:
    """The order's open callback item, locked (the monitor may be placing it)."""
    item = (
        CallbackItem.objects.select_for_update(of=("self",))
        .filter(order=order, status=TaskStatus.OPEN)
        .order_by("-pk")
        .first()
    )
    if item is None:
        raise CallbackClosed(_("This order waits for no rating."))
    return item
