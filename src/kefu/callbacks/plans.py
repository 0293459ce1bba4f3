"""Callback plans without an order (回访计划) — the care and follow-up calls the seeds name:

- thank-you calls 感谢回访 to highly loyal customers: a sample of a tier or segment
  (004:677);
- the residence callback 居住回访 three months after a concentrated move-in, for a list
  of owners imported from a spreadsheet (001:710);
- every customer of a leaving account manager or consultant, within one week (004:509).

Each customer gets one task (a person calls: these are conversations, not an SMS code)
with one item that has no order, so the callback desk, its scripts and outcomes and the
satisfaction figures treat them like any other callback. Data scope: only customers the
planner may see, and a callback unit inside their reach.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import random
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.calendars.business_time import add_business_minutes
from kefu.callbacks.models import (
    CallbackItem,
    CallbackPlan,
    CallbackTask,
    Mode,
    TaskKind,
)
from kefu.callbacks.phones import normalised_phone
from kefu.callbacks.step import calendar
from kefu.callbacks.timing import Due, callback_due, day_minutes
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.core.tabular import TabularError, read_rows
from kefu.customers.models import Customer
from kefu.customers.selectors import customers_visible
from kefu.workorders.capacity import OUTSIDE_SCOPE, unit_in_reach

PLAN_MAX = 20_000  # customers in one plan
HANDOVER_DAYS = 5  # "within one week": five business days
THANK_YOU_DAYS = 10

SCRIPTS = {
    TaskKind.THANK_YOU: (
        "1. 您好，我是客服中心回访员，感谢您多年来对我们的支持。\n"
        "2. 请问您最近使用我们的业务是否顺畅？有什么需要我们改进的地方吗？\n"
        "3. 请问您对我们的服务总体是非常满意、满意还是不满意？"
    ),
    TaskKind.RESIDENCE: (
        "1. 您好，我是客服中心回访员，您入住已三个月，想了解您的居住体验。\n"
        "2. 房屋质量、公共设施、物业服务方面有没有需要我们处理的问题？\n"
        "3. 请问您对我们的服务总体是非常满意、满意还是不满意？"
    ),
    TaskKind.HANDOVER: (
        "1. 您好，我是您新的客户经理，原客户经理已调离，今后由我为您服务。\n"
        "2. 请问您目前的业务有没有待办的事情或需要帮助的地方？\n"
        "3. 请问您对我们之前的服务是非常满意、满意还是不满意？"
    ),
}


def _plan_unit(actor, unit):
    if not actor.has_perm("callbacks.handle_callback"):
        raise PermissionDenied()
    if unit is None:
        raise ValidationFailed.for_fields({"unit": [_("This field is required.")]})
    if not unit_in_reach(actor, unit):
        raise ValidationFailed.for_fields({"unit": [OUTSIDE_SCOPE]})
    return unit


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.for_fields({"name": [_("This field is required.")]})
    if len(name) > 100:
        raise ValidationFailed.for_fields({"name": [_("At most %(n)d characters.") % {"n": 100}]})
    return name


def _write(actor, *, kind, name, unit, entries: list[tuple[Customer, dt.datetime]]):
    """The plan, one task and one item per (customer, due from) — in one transaction."""
    if not entries:
        raise ValidationFailed(_("No customer matches: nothing to plan."))
    if len(entries) > PLAN_MAX:
        raise ValidationFailed(_("At most %(n)d customers in one plan.") % {"n": PLAN_MAX})
    now, cal = timezone.now(), calendar()
    with transaction.atomic():
        plan = CallbackPlan.objects.create(
            kind=kind,
            name=name,
            unit=unit,
            script=SCRIPTS[kind],
            created_by=actor,
            created_at=now,
        )
        tasks = CallbackTask.objects.bulk_create(
            CallbackTask(
                kind=kind,
                plan=plan,
                customer=customer,
                phone=normalised_phone(customer.phone),
                contact_name=customer.name[:50],
                unit=unit,
                mode=Mode.MANUAL,
                created_at=now,
                due_at=due.target,
                deadline_at=due.deadline,
                next_attempt_at=max(start, now),
                next_check_at=due.target,
            )
            for customer, start, due in ((c, start, _due(cal, start, kind)) for c, start in entries)
        )
        CallbackItem.objects.bulk_create(
            CallbackItem(
                task=task,
                due_on=task.due_at.astimezone(cal.tz).date(),
                deadline_at=task.deadline_at,
                area_unit_id=customer.org_unit_id,
                unit=unit,
            )
            for task, (customer, _start) in zip(tasks, entries, strict=True)
        )
    return plan


def _due(cal, start: dt.datetime, kind: str) -> Due:
    if kind == TaskKind.RESIDENCE:
        return callback_due(cal, start, 3)  # from the three-month day on
    days = HANDOVER_DAYS if kind == TaskKind.HANDOVER else THANK_YOU_DAYS
    deadline = add_business_minutes(cal, start, days * day_minutes(cal))
    return Due(deadline, deadline)


def plan_thank_you(*, actor, unit, name: str, tiers: list[str], size: int, seed: int = 1):
    """感谢回访: `size` customers drawn (reproducibly, by `seed`) from those of `tiers` in
    `unit`'s subtree that the planner may see."""
    unit, name = _plan_unit(actor, unit), _name(name)
    if not tiers:
        raise ValidationFailed.for_fields({"tiers": [_("This field is required.")]})
    if not 0 < size <= PLAN_MAX:
        raise ValidationFailed.for_fields(
            {"size": [_("Enter a number from 1 to %(n)d.") % {"n": PLAN_MAX}]}
        )
    tier_q = Q(tier_override__in=tiers) | Q(tier_override="", tier__in=tiers)
    pool = list(
        customers_visible(actor)
        .filter(tier_q, org_unit__path__startswith=unit.path)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = sorted(random.Random(seed).sample(pool, min(size, len(pool))))
    now = timezone.now()
    customers = Customer.objects.filter(pk__in=chosen).order_by("pk")
    return _write(
        actor,
        kind=TaskKind.THANK_YOU,
        name=name,
        unit=unit,
        entries=[(c, now) for c in customers],
    )


def plan_handover(*, actor, unit, name: str, manager):
    """顾问离职回访: every customer of the leaving `manager` the planner may see, called
    within one week."""
    unit, name = _plan_unit(actor, unit), _name(name)
    if manager is None:
        raise ValidationFailed.for_fields({"manager": [_("This field is required.")]})
    now = timezone.now()
    customers = customers_visible(actor).filter(manager=manager).order_by("pk")
    return _write(
        actor,
        kind=TaskKind.HANDOVER,
        name=name,
        unit=unit,
        entries=[(c, now) for c in customers],
    )


COLUMN_CUSTOMER = ("客户编号", "customer number")
COLUMN_PHONE = ("手机号", "phone")
COLUMN_MOVE_IN = ("入住日期", "move-in date")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {n.lower() for n in names}
    return next((i for i, h in enumerate(header) if h.strip().lower() in wanted), None)


def three_months_after(day: dt.date) -> dt.date:
    """The same day three months later (the month's last day where it has fewer)."""
    year, month = divmod(day.month - 1 + 3, 12)
    year, month = day.year + year, month + 1
    return day.replace(
        year=year, month=month, day=min(day.day, month_calendar.monthrange(year, month)[1])
    )


def _move_in(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def plan_residence(*, actor, unit, name: str, path: str | Path, filename: str | None = None):
    """居住回访: the owners listed in a spreadsheet (customer number or phone, and the
    move-in date), each called three months after moving in. Every row is checked before
    anything is written; errors name the row and the column."""
    unit, name = _plan_unit(actor, unit), _name(name)
    try:
        rows = list(read_rows(path, name=filename))
    except (TabularError, OSError) as exc:
        raise ValidationFailed.for_fields({"file": [str(exc)]}) from None
    if not rows:
        raise ValidationFailed.for_fields({"file": [_("The file is empty.")]})
    header = rows[0][1]
    by_code, by_phone = _column(header, COLUMN_CUSTOMER), _column(header, COLUMN_PHONE)
    moved = _column(header, COLUMN_MOVE_IN)
    if moved is None or (by_code is None and by_phone is None):
        raise ValidationFailed.for_fields(
            {"file": [_("The first row must name the columns 客户编号 or 手机号, and 入住日期.")]}
        )
    visible = customers_visible(actor)
    errors, entries, cal = [], [], calendar()
    for row_no, cells in rows[1:]:

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i].strip() if i is not None and i < len(cells) else ""

        day = _move_in(cell(moved))
        if day is None:
            errors.append(_("Row %(row)d, 入住日期: not a date.") % {"row": row_no})
            continue
        found = None
        if cell(by_code):
            found = visible.filter(code=cell(by_code)).first()
        elif cell(by_phone):
            found = visible.filter(phone=normalised_phone(cell(by_phone))).first()
        if found is None:
            column = "客户编号" if cell(by_code) else "手机号"
            errors.append(
                _("Row %(row)d, %(column)s: no such customer in your data scope.")
                % {"row": row_no, "column": column}
            )
            continue
        start = dt.datetime.combine(three_months_after(day), dt.time(9), tzinfo=cal.tz)
        entries.append((found, start))
    if errors:
        raise ValidationFailed(
            "；".join(errors[:20]) + ("……" if len(errors) > 20 else ""),
            extra={"errors": {"file": errors}},
        )
    return _write(actor, kind=TaskKind.RESIDENCE, name=name, unit=unit, entries=entries)
