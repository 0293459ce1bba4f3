"""The order page keeps the clocks that ended: 按时完成 for a limit met, 超时完成 for one
met late, beside the clocks still running."""

from __future__ import annotations

import re

from django.urls import reverse

from kefu.workorders.actions import work_order_act


def _clock_item(page: str, kind: str) -> str:
    match = re.search(rf'<li id="clock-{kind}" data-state="(\w+)">(.*?)</li>', page, re.S)
    assert match, f"clock {kind} not shown"
    return match.group(1), match.group(2)


def test_met_and_late_clocks_stay_visible_on_the_order(
    clock, client, take_in, dispatch, handlers_a1, agent_a
):
    on_time = dispatch(take_in("complaint"))  # Tue 09:00, first contact due 11:00
    late = dispatch(take_in("complaint"))
    clock.set("2025-06-03 10:00")
    work_order_act(actor=handlers_a1[0], order=on_time, action="contact")
    clock.set("2025-06-03 11:30")
    work_order_act(actor=handlers_a1[0], order=late, action="contact")

    client.force_login(agent_a)
    page = client.get(reverse("workorders:workorder_detail", args=[on_time.number])).text
    state, item = _clock_item(page, "first_contact")
    assert state == "met" and "按时完成" in item and "badge-ok" in item
    state, _ = _clock_item(page, "resolution")
    assert state == "running"

    page = client.get(reverse("workorders:workorder_detail", args=[late.number])).text
    state, item = _clock_item(page, "first_contact")
    assert state == "late" and "超时完成" in item and "badge-danger" in item
    assert "data-due" not in item  # no countdown for a clock that has ended
