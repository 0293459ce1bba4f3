"""Staff on leave (休假) hand their open work orders back: to the unit's queue or to a named
colleague; routing and the handler lists skip them. Taken in on a clock the tests set."""

from __future__ import annotations

import pytest

from kefu.core.errors import ValidationFailed
from kefu.notify.models import Message
from kefu.org.models import StaffProfile
from kefu.org.services import staff_leave_set
from kefu.workorders import selectors
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrder, WorkOrderType
from kefu.workorders.services import work_order_create
from kefu.workorders.transitions import OPEN
from tests.factories import complaint_verdict, make_customer

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def team(org, make_user):
    """Two handlers in team A1 and one in team A2."""
    return {
        "leaving": make_user("hand_a1_0", org["team_a1"], "handler"),
        "colleague": make_user("hand_a1_1", org["team_a1"], "handler"),
        "elsewhere": make_user("hand_a2_0", org["team_a2"], "handler"),
    }


@pytest.fixture
def orders(org, agent_a, dispatcher_a, team):
    """The leaving handler's orders: in progress, dispatched, suspended, and resolved."""
    customer = make_customer(actor=agent_a, org_unit=org["county_a1"], name="王小明")
    person = team["leaving"]
    made = {}
    for name in ("in_progress", "dispatched", "suspended", "resolved"):
        order = work_order_create(
            actor=agent_a,
            order_type=WorkOrderType.objects.get(code="complaint"),
            channel=Channel.HOTLINE,
            title=f"宽带故障 {name}",
            customer=customer,
        )
        order = work_order_act(
            actor=dispatcher_a,
            order=order,
            action="dispatch",
            data={"unit": org["team_a1"], "handler": person},
        )
        if name != "dispatched":
            order = work_order_act(actor=person, order=order, action="contact")
        if name == "suspended":
            order = work_order_act(
                actor=person, order=order, action="suspend", data={"reason": "x"}
            )
        if name == "resolved":
            order = work_order_act(
                actor=person,
                order=order,
                action="resolve",
                data={
                    "resolution": "已修复",
                    "remedy": "repair_replace_redo",
                    **complaint_verdict(),
                },
            )
        made[name] = order
    return made


def _state(order) -> tuple[str, int | None, int | None]:
    fresh = WorkOrder.objects.get(pk=order.pk)
    return fresh.status, fresh.handling_unit_id, fresh.handler_id


def test_going_on_leave_hands_open_orders_back_to_the_unit_queue(org, supervisor_a, team, orders):
    person, colleague = team["leaving"], team["colleague"]
    staff = StaffProfile.objects.get(user=person)
    handed = staff_leave_set(actor=supervisor_a, staff=staff, on_leave=True)
    assert sorted(o.pk for o in handed) == sorted(
        orders[n].pk for n in ("in_progress", "dispatched", "suspended")
    )
    unit = org["team_a1"].pk
    assert _state(orders["in_progress"]) == ("dispatched", unit, None)  # to be taken on again
    assert _state(orders["dispatched"]) == ("dispatched", unit, None)
    assert _state(orders["suspended"]) == ("suspended", unit, None)
    assert _state(orders["resolved"]) == ("resolved", unit, person.pk)  # done: stays on record
    event = orders["in_progress"].events.get(action="hand_back")
    assert event.actor == supervisor_a and event.data["from_handler"] == person.get_full_name()
    assert StaffProfile.objects.get(user=person).on_leave
    # The colleague finds them in "mine" (the unit's unassigned); none waits for the absent.
    mine = set(
        selectors.work_order_list(viewer=colleague, queue="mine").values_list("pk", flat=True)
    )
    assert {orders[n].pk for n in ("in_progress", "dispatched", "suspended")} <= mine
    assert not WorkOrder.objects.filter(handler=person, status__in=list(OPEN)).exists()


def test_a_named_colleague_takes_the_orders_over_and_is_told(supervisor_a, team, orders):
    person, colleague = team["leaving"], team["colleague"]
    staff = StaffProfile.objects.get(user=person)
    staff_leave_set(actor=supervisor_a, staff=staff, on_leave=True, hand_to=colleague)
    assert _state(orders["in_progress"])[2] == colleague.pk
    assert _state(orders["suspended"])[2] == colleague.pk
    assigned = Message.objects.filter(recipient=colleague, template="wo_assigned", channel="inbox")
    assert assigned.count() == 3


def test_a_colleague_from_another_unit_is_refused_and_nothing_changes(supervisor_a, team, orders):
    staff = StaffProfile.objects.get(user=team["leaving"])
    with pytest.raises(ValidationFailed) as info:
        staff_leave_set(actor=supervisor_a, staff=staff, on_leave=True, hand_to=team["elsewhere"])
    assert list(info.value.extra["errors"]) == ["hand_to"]
    assert not StaffProfile.objects.get(pk=staff.pk).on_leave
    assert _state(orders["in_progress"])[2] == team["leaving"].pk


def test_someone_on_leave_cannot_be_assigned(org, dispatcher_a, supervisor_a, team, orders):
    staff = StaffProfile.objects.get(user=team["leaving"])
    staff_leave_set(actor=supervisor_a, staff=staff, on_leave=True)
    with pytest.raises(ValidationFailed) as info:
        work_order_act(
            actor=dispatcher_a,
            order=orders["dispatched"],
            action="transfer",
            data={"unit": org["team_a1"], "handler": team["leaving"], "reason": "x"},
        )
    assert list(info.value.extra["errors"]) == ["handler"]


def _resubmit(context) -> dict:
    """The admin change form's current values, as the browser would post them back."""
    from django.forms import MultiWidget

    data: dict = {}

    def add(form) -> None:
        for name, field in form.fields.items():
            value, key = form[name].value(), form.add_prefix(name)
            if field.disabled or value is None:
                continue
            if isinstance(field.widget, MultiWidget):
                for i, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{i}"] = "" if part is None else str(part)
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)

    add(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def test_leave_set_in_the_admin_hands_the_orders_to_the_named_colleague(
    client, admin_user, team, orders
):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=admin_user.pk).update(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    person, colleague = team["leaving"], team["colleague"]
    url = f"/admin/auth/user/{person.pk}/change/"
    data = _resubmit(client.get(url).context)
    data.update({"staff-0-on_leave": "on", "staff-0-hand_to": str(colleague.pk)})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert StaffProfile.objects.get(user=person).on_leave
    assert _state(orders["in_progress"])[2] == colleague.pk
    assert _state(orders["dispatched"])[2] == colleague.pk
