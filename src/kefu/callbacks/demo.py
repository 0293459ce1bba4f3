"""Demo callbacks 演示回访: what customers answer after their orders, lived through the real
services as the demo's simulated time passes (kefu.workorders.demo calls `live` after an
order of a called-back type is replied to).

Realistic shares: most customers answer the SMS (mostly satisfied, a few dissatisfied
with a reason, then followed up by the county's callback agent); the rest are called by
a person — some after a missed call or two, a few never reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from kefu.callbacks.inbound import Delivery, delivery_record, inbound_review
from kefu.callbacks.models import CallbackTask, DissatisfactionReason, Level, Mode, Outcome
from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.callbacks.outcomes import Answer, callback_answer, callback_record
from kefu.core.errors import KefuError
from kefu.workorders import actions
from kefu.workorders.models import WorkOrder

COMPLAINTS = (  # (reason code, the customer's words)
    ("service-attitude", "师傅态度不好"),
    ("service-late", "师傅迟到了一个多小时"),
    ("result-unsolved", "网络还是经常断"),
    ("speed-slow", "等了好几天才来修"),
    ("fee-extra", "上门还推销套餐"),
)


UNREADABLE = ("师傅人挺好的", "好的，收到", "已经修好了谢谢", "嗯嗯", "什么时候能再来看看？")


class DemoCallbacks:
    def __init__(self) -> None:
        users = (
            get_user_model()
            .objects.filter(
                is_active=True,
                role_assignments__role__code="callback_agent",
                staff__isnull=False,
            )
            .values_list("pk", "role_assignments__org_unit__path")
        )
        by_pk = get_user_model().objects.in_bulk([pk for pk, _ in users])
        # The longest anchor first: the county's own callback agent before a wider one.
        self.callers = sorted(
            ((path or "", by_pk[pk]) for pk, path in users), key=lambda r: -len(r[0])
        )
        self.reasons = DissatisfactionReason.objects.in_bulk(field_name="code")

    def caller(self, task: CallbackTask):
        return next((u for path, u in self.callers if task.unit.path.startswith(path)), None)

    def live(self, rng, order: WorkOrder, owner, clock: Callable[[], datetime]) -> Iterator:
        """The callback of `order` (just replied to), then its archiving."""
        yield clock() + timedelta(hours=rng.uniform(0.3, 5))
        callbacks_monitor_pass(now=clock())  # its minute has long passed: into a call
        task = CallbackTask.objects.filter(items__order=order, status="open").first()
        if task is None:  # sampled out, or answered with another order of the customer
            order.refresh_from_db()
            if order.status == "replied" and not order.callback_items.filter(status="open"):
                actions.work_order_close(actor=owner, order=order)
            return
        roll = rng.random()
        if task.mode == Mode.SMS and roll < 0.64:
            level = Level.VERY_SATISFIED if rng.random() < 0.6 else Level.SATISFIED
            callback_answer(task=task, level=level, via="sms")
            callbacks_monitor_pass(now=clock())  # the order archived
            return
        caller = self.caller(task)
        if caller is None:
            return
        if task.mode == Mode.SMS and roll < 0.73:
            yield from self._unreadable_reply(rng, task, caller, clock)
            return
        if task.mode == Mode.SMS and roll < 0.79:
            code, words = COMPLAINTS[rng.randrange(len(COMPLAINTS))]
            callback_answer(task=task, level=Level.DISSATISFIED, comment=words, via="sms")
            yield clock() + timedelta(hours=rng.uniform(0.5, 4))
            yield from self._call(task, caller, Level.DISSATISFIED, self.reasons.get(code), words)
            return
        for _missed in range(rng.choice((0, 0, 0, 1, 2, 3))):
            task = callback_record(actor=caller, task=task, outcome=Outcome.NO_ANSWER)
            if task.status != "open":
                order.refresh_from_db()
                if order.status == "replied":
                    actions.work_order_close(actor=owner, order=order, note="多次回访未接通")
                return
            yield clock() + timedelta(hours=rng.uniform(1, 3))
        level = Level.VERY_SATISFIED if rng.random() < 0.5 else Level.SATISFIED
        if rng.random() < 0.04:
            code, words = COMPLAINTS[rng.randrange(len(COMPLAINTS))]
            yield from self._call(task, caller, Level.DISSATISFIED, self.reasons.get(code), words)
            return
        yield from self._call(task, caller, level, None, "")

    @staticmethod
    def _unreadable_reply(rng, task, caller, clock) -> Iterator:
        """A reply nobody's parser reads; a person reads it a few hours later (those of the
        demo's last hours still wait in the review queue)."""
        text = UNREADABLE[rng.randrange(len(UNREADABLE))]
        with transaction.atomic():
            reply = delivery_record(Delivery(task.phone, text, f"demo-{task.pk}", clock()))
        yield clock() + timedelta(hours=rng.uniform(0.5, 6))
        try:
            inbound_review(actor=caller, row=reply, level=Level.SATISFIED)
        except KefuError:  # its callback ended meanwhile: only read
            inbound_review(actor=caller, row=reply)
        callbacks_monitor_pass(now=clock())

    @staticmethod
    def _call(task, caller, level, reason, words) -> Iterator:
        task.refresh_from_db()
        items = task.items.filter(status="open")
        answers = {i.pk: Answer(level, reason=reason, comment=words) for i in items}
        callback_record(actor=caller, task=task, outcome=Outcome.ANSWERED, answers=answers)
        yield from ()
