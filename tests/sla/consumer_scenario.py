"""The Kefu side of the consumer-kill test, run in its own process against the test's own
database and queue (KEFU_DATA_DIR, KEFU_DATABASE_URL, KEFU_REDIS_URL from the caller):

    python -m tests.sla.consumer_scenario setup ORDERS   migrate, org, ORDERS breached orders
    python -m tests.sla.consumer_scenario enqueue        queue one monitor run (as the tick does)
    python -m tests.sla.consumer_scenario report         escalation steps and messages, as JSON

Every order is a complaint dispatched to a team whose two clocks (first contact and
resolution) were due ten hours ago: each clock owes three escalation steps.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from datetime import timedelta


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()


def setup(orders: int) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from kefu.sla.models import SlaClock
    from kefu.workorders.actions import work_order_act
    from kefu.workorders.models import Channel, WorkOrderType
    from kefu.workorders.services import work_order_create
    from tests.factories import (
        build_org,
        cover_calendar_years,
        make_customer,
        make_staff,
        real_clock_years,
    )

    # As in the test suite: PBKDF2 would cost seconds per user, and nobody signs in here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cover_calendar_years(real_clock_years())  # orders are taken in on the real clock
    units = build_org()
    agent = make_staff("agent", units["county_a1"], "agent")
    dispatcher = make_staff("dispatcher", units["pref_a"], "dispatcher")
    handler = make_staff("handler", units["team_a1"], "handler")
    make_staff("sup_county", units["county_a1"], "supervisor")
    make_staff("sup_pref", units["pref_a"], "supervisor")
    customer = make_customer(actor=agent, org_unit=units["county_a1"], name="王小明")
    complaint = WorkOrderType.objects.get(code="complaint")
    with transaction.atomic():
        for n in range(orders):
            order = work_order_create(
                actor=agent,
                order_type=complaint,
                channel=Channel.HOTLINE,
                title=f"投诉 {n}",
                customer=customer,
            )
            work_order_act(
                actor=dispatcher,
                order=order,
                action="dispatch",
                data={"unit": units["team_a1"], "handler": handler},
            )
        due = timezone.now() - timedelta(hours=10)
        clocks = SlaClock.objects.filter(stopped_at=None)
        # Round the clock: on cn-standard the ladder's later steps would fall on the next
        # working morning whenever the test runs at night, and the run would never finish.
        clocks.update(
            calendar="24x7",
            started_at=due - timedelta(hours=2),
            warn_at=None,
            due_at=due,
            next_check_at=due,
        )
    return {"orders": orders, "clocks": clocks.count()}


def enqueue() -> dict:
    from kefu.sla.tasks import sla_monitor

    sla_monitor()  # not immediate here: goes to the configured queue
    return {"queued": 1}


def report() -> dict:
    from kefu.notify.models import Message
    from kefu.sla.models import SlaClock
    from kefu.workorders.models import WorkOrderEvent

    steps = Counter()
    for data in WorkOrderEvent.objects.filter(action="escalate").values_list("data", flat=True):
        steps[f"{data['clock']}:{data['step']}"] += 1
    messages = Counter(
        Message.objects.filter(template__startswith="sla_").values_list("template", flat=True)
    )
    return {
        "clocks": list(SlaClock.objects.values_list("pk", flat=True)),
        "ladder": sorted(set(SlaClock.objects.values_list("escalation_step", flat=True))),
        "steps": steps,
        "messages": messages,
    }


def main(argv: list[str]) -> None:
    _django()
    command = argv[0]
    if command == "setup":
        result = setup(int(argv[1]))
    elif command == "enqueue":
        result = enqueue()
    elif command == "report":
        result = report()
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
