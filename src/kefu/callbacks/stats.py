"""Satisfaction statistics 满意度统计: one period's callback figures, for a viewer's scope.

A selector: one aggregate query over CallbackItem (the figures are copied on each item,
so no join), with due_on in the period, cancelled items left out, the viewer's data scope
on the area unit and, when given, one unit's subtree. The formulas are
kefu.callbacks.satisfaction's:

- counts per level; rate = (very satisfied + satisfied) ÷ all three levels;
- coverage = answered (a level recorded) ÷ due (every item not cancelled);
- on_time = answered within the limit ÷ answered;
- the main dissatisfaction reasons with their counts (a second, small query).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek

from kefu.callbacks.models import CallbackItem, DissatisfactionReason, Level, TaskStatus
from kefu.callbacks.satisfaction import coverage, satisfaction_rate, timeliness
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for

# by → the item column grouped on
GROUPS = {
    "day": "due_on",
    "week": "week",
    "month": "month",
    "unit": "unit_id",
    "type": "order_type_id",
    "line": "business_line_id",
    "handler": "handler_id",
    "agent": "agent_id",
}
TOP_REASONS = 10


@dataclass
class Figures:
    """The figures of one period (or of one group of it)."""

    very_satisfied: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    due: int = 0
    answered_on_time: int = 0
    key: object = None  # the group's value (a date, a unit id …), None for the total
    label: str = ""

    @property
    def answered(self) -> int:
        return self.very_satisfied + self.satisfied + self.dissatisfied

    @property
    def rate(self) -> float | None:
        return satisfaction_rate(
            very_satisfied=self.very_satisfied,
            satisfied=self.satisfied,
            dissatisfied=self.dissatisfied,
        )

    @property
    def coverage(self) -> float | None:
        return coverage(done=self.answered, due=self.due)

    @property
    def on_time(self) -> float | None:
        return timeliness(on_time=self.answered_on_time, done=self.answered)

    def as_json(self) -> dict:
        return {
            "very_satisfied": self.very_satisfied,
            "satisfied": self.satisfied,
            "dissatisfied": self.dissatisfied,
            "rate": self.rate,
            "coverage": self.coverage,
            "on_time": self.on_time,
        }


@dataclass
class Stats:
    total: Figures
    groups: list[Figures] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)


def _aggregates() -> dict:
    answered = ~Q(level="")
    return {
        "very_satisfied": Count("pk", filter=Q(level=Level.VERY_SATISFIED)),
        "satisfied": Count("pk", filter=Q(level=Level.SATISFIED)),
        "dissatisfied": Count("pk", filter=Q(level=Level.DISSATISFIED)),
        "due": Count("pk"),
        "answered_on_time": Count("pk", filter=answered & Q(on_time=True)),
    }


def callback_items_in(
    viewer, *, date_from: dt.date, date_to: dt.date, unit: OrgUnit | None = None
) -> QuerySet[CallbackItem]:
    """The items counted: due in [date_from, date_to], not cancelled, in the viewer's scope
    (None: the system, the whole tree) and in `unit`'s subtree."""
    items = CallbackItem.objects.filter(due_on__gte=date_from, due_on__lte=date_to).exclude(
        status=TaskStatus.CANCELLED
    )
    if viewer is not None:
        items = items.filter(
            scope_for(viewer).q(unit_field="area_unit", owner_field=None, user_id=viewer.pk)
        )
    if unit is not None:
        items = items.filter(
            area_unit__in=OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
        )
    return items


def callback_stats(
    viewer,
    *,
    date_from: dt.date,
    date_to: dt.date,
    unit: OrgUnit | None = None,
    by: str | None = None,
    reasons: bool = True,
) -> Stats:
    """The figures of the period for `viewer` (None: the system), grouped `by` one of
    GROUPS when given (groups sorted by key)."""
    items = callback_items_in(viewer, date_from=date_from, date_to=date_to, unit=unit)
    if by is None:
        total = Figures(**items.aggregate(**_aggregates()))
        groups = []
    else:
        if by not in GROUPS:
            raise ValueError(by)
        column = GROUPS[by]
        grouped = items
        if by == "week":
            grouped = items.annotate(week=TruncWeek("due_on"))
        elif by == "month":
            grouped = items.annotate(month=TruncMonth("due_on"))
        rows = grouped.order_by().values(column).annotate(**_aggregates())
        groups = [Figures(key=r.pop(column), **r) for r in rows]
        groups.sort(key=lambda f: (f.key is None, f.key))
        _label(by, groups)
        total = Figures(
            **{k: sum(getattr(g, k) for g in groups) for k in _aggregates()},
        )
    top = _reasons(items) if reasons else []
    return Stats(total=total, groups=groups, reasons=top)


def _reasons(items: QuerySet[CallbackItem]) -> list[tuple[str, int]]:
    rows = list(
        items.filter(level=Level.DISSATISFIED)
        .order_by()
        .values("reason_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason_id")[:TOP_REASONS]
    )
    names = {
        r.pk: str(r)
        for r in DissatisfactionReason.objects.select_related("parent").filter(
            pk__in=[row["reason_id"] for row in rows if row["reason_id"]]
        )
    }
    return [(names.get(row["reason_id"], "—"), row["n"]) for row in rows]


def _label(by: str, groups: list[Figures]) -> None:
    """A readable label per group: dates as text, ids as names."""
    from django.contrib.auth import get_user_model

    from kefu.workorders.models import BusinessLine, WorkOrderType

    models = {
        "unit": OrgUnit,
        "type": WorkOrderType,
        "line": BusinessLine,
        "handler": get_user_model(),
        "agent": get_user_model(),
    }
    if by in ("day", "week", "month"):
        for g in groups:
            key = g.key.date() if isinstance(g.key, dt.datetime) else g.key
            g.key = key
            g.label = key.strftime("%Y-%m") if by == "month" else key.isoformat()
        return
    ids = [g.key for g in groups if g.key is not None]
    objects = models[by].objects.in_bulk(ids)
    for g in groups:
        obj = objects.get(g.key)
        if obj is None:
            g.label = "—"
        elif by in ("handler", "agent"):
            g.label = obj.first_name or obj.username
        else:
            g.label = obj.name
