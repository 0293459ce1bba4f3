"""Set-based writes on work orders that other apps' rules call for.

The time limits (kefu.sla) decide an order's due time, its time-limit state and the
escalations of its ladder; the work-order app writes them, here, so that every write of
an order's row and timeline goes through this app: an escalation bumps the order's
`version` like any other change, and a stale edit gets its 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import connection

from kefu.org.models import OrgUnit
from kefu.workorders.models import WorkOrder, WorkOrderEvent
from kefu.workorders.transitions import Action

# An order's time-limit summary: (due_at, sla_state, due_provisional).
Summary = tuple[dt.datetime | None, str, bool]


def order_system_note(order: WorkOrder, *, note: str, data: dict) -> WorkOrderEvent:
    """A note on the order's timeline by the system (no actor), the order's state kept."""
    return WorkOrderEvent.objects.create(
        order=order,
        action=Action.NOTE,
        actor=None,
        from_status=order.status,
        to_status=order.status,
        note=note,
        data=data,
    )


def events_append(events: Iterable[WorkOrderEvent]) -> None:
    """Timeline events built by another app (unsaved), in one INSERT."""
    WorkOrderEvent.objects.bulk_create(list(events))


def order_summary_set(order: WorkOrder, summary: Summary) -> None:
    """Keep one order's due time, time-limit state and 暂定 flag (in the database and on
    `order`) in step with its clocks; no write when nothing changed."""
    if summary == (order.due_at, order.sla_state, order.due_provisional):
        return
    due_at, sla_state, provisional = summary
    WorkOrder.objects.filter(pk=order.pk).update(
        due_at=due_at, sla_state=sla_state, due_provisional=provisional
    )
    order.due_at, order.sla_state, order.due_provisional = summary


_SYNCED = ("due_at", "sla_state", "due_provisional", "escalation_level", "escalated_to_id")


def orders_sync(
    summaries: Mapping[int, Summary], raises: Mapping[int, tuple[int, OrgUnit]] | None = None
) -> int:
    """Bring many orders' summaries in line and apply the escalations in `raises` (order id
    → (level, unit); a manual escalation that went further stays). An order raised gets
    `version + 1`. Returns how many orders changed.

    One read and one UPDATE per changed order, sent as one pipeline (executemany). Each
    order is written at most once, and not at all if nothing changed: a write touches its
    twenty indexes (`due_at` is one of them, so it is never a HOT update). The caller
    holds the orders' row locks."""
    raises = raises or {}
    changed = []
    rows = WorkOrder.objects.filter(pk__in=list(summaries)).values_list("pk", "version", *_SYNCED)
    for pk, version, *stored in rows:
        level, unit_id = stored[3:]
        if pk in raises and raises[pk][0] > level:
            level, unit_id = raises[pk][0], raises[pk][1].pk
            version += 1
        wanted = [*summaries[pk], level, unit_id]
        if wanted != stored:
            changed.append([*wanted, version, pk])
    if changed:
        due = WorkOrder._meta.get_field("due_at")
        for row in changed:
            row[0] = due.get_db_prep_save(row[0], connection)
        table = connection.ops.quote_name(WorkOrder._meta.db_table)
        columns = ", ".join(f"{connection.ops.quote_name(n)} = %s" for n in (*_SYNCED, "version"))
        with connection.cursor() as cursor:
            # Table and column names come from the model, never from input.
            cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", changed)  # noqa: S608
    return len(changed)
