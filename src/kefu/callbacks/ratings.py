"""评价 on the customer portal: the customer's own answer to their order's callback.

Apart from kefu.callbacks.outcomes because it may first put the callback into a call
(kefu.callbacks.services), which itself reaches the outcomes through the voice gateway.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.callbacks.models import CallbackItem, TaskStatus
from kefu.callbacks.outcomes import CallbackClosed, callback_answer
from kefu.callbacks.services import callbacks_assign


@transaction.atomic
def callback_answer_by_customer(*, item: CallbackItem, level: str, comment: str = ""):
    """评价 on the customer portal: the customer's answer to their order's callback, as by
    the SMS link. A callback no call covers yet (the monitor places them each minute) is
    placed first, so the answer counts the same way."""
    if item.task_id is None:
        callbacks_assign(now=timezone.now())
        item.refresh_from_db()
    if item.task_id is None or item.status != TaskStatus.OPEN:
        raise CallbackClosed(_("This order waits for no rating."))
    return callback_answer(task=item.task, level=level, comment=comment, via="portal")
