"""The 360 page lists the customer's open and past work orders and complaints with their
state, within the viewer's work-order scope, and takes a new order for the customer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrderType
from kefu.workorders.services import work_order_create
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def customer(agent_a, org):
    return make_customer(actor=agent_a, org_unit=org["team_a1"], name="王小明")


def _take(agent, customer, code: str, title: str):
    return work_order_create(
        actor=agent,
        order_type=WorkOrderType.objects.get(code=code),
        channel=Channel.HOTLINE,
        title=title,
        customer=customer,
    )


def test_360_page_shows_open_and_past_orders_with_their_state(client, agent_a, customer):
    complaint = _take(agent_a, customer, "complaint", "宽带经常掉线")
    done = _take(agent_a, customer, "consultation", "咨询资费")
    done = work_order_act(actor=agent_a, order=done, action="cancel", data={"reason": "重复"})
    other = make_customer(actor=agent_a, org_unit=customer.org_unit, name="李四")
    elsewhere = _take(agent_a, other, "consultation", "别人的工单")

    client.force_login(agent_a)
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).text
    open_part = page.split('id="customer-open-orders"')[1].split("</table>")[0]
    past_part = page.split('id="customer-past-orders"')[1].split("</table>")[0]
    assert complaint.number in open_part and 'data-status="accepted"' in open_part
    assert "投诉" in open_part
    assert done.number in past_part and 'data-status="cancelled"' in past_part
    assert elsewhere.number not in page


def test_take_order_button_opens_the_workbench_with_the_customer_preselected(
    client, agent_a, customer
):
    client.force_login(agent_a)
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).text
    link = reverse("workorders:workbench") + f"?customer={customer.pk}"
    assert f'id="take-order-for-customer" href="{link}"' in page
    workbench = client.get(link).text
    assert 'id="wb-step-order"' in workbench and f'id="wb-customer-{customer.pk}"' in workbench


def test_unknown_caller_new_customer_keeps_the_number_and_returns_to_step_3(client, agent_a, org):
    client.force_login(agent_a)
    workbench = client.get(reverse("workorders:workbench"), {"caller": "13805712233"}).text
    create_url = reverse("customers:customer_create") + "?for=workbench&amp;phone=13805712233"
    assert f'id="wb-new-customer" href="{create_url}"' in workbench

    form = client.get(
        reverse("customers:customer_create"), {"for": "workbench", "phone": "13805712233"}
    )
    assert form.context["form"]["phone"].value() == "13805712233"
    assert 'name="for" value="workbench"' in form.text
    saved = client.post(
        reverse("customers:customer_create"),
        {
            "for": "workbench",
            "kind": "individual",
            "name": "陈晓燕",
            "phone": "13805712233",
            "org_unit": org["team_a1"].pk,
            "monthly_value": "50",
        },
    )
    from kefu.customers.models import Customer

    customer = Customer.objects.get(name="陈晓燕")
    assert saved.status_code == 302
    assert saved["Location"] == (
        reverse("workorders:workbench") + f"?caller=13805712233&customer={customer.pk}"
    )
    step3 = client.get(saved["Location"]).text
    assert 'id="wb-step-order"' in step3
    assert 'name="caller" value="13805712233"' in step3


def test_workbench_card_for_the_caller_shows_recently_finished_orders(client, agent_a, customer):
    done = _take(agent_a, customer, "consultation", "咨询资费")
    done = work_order_act(actor=agent_a, order=done, action="cancel", data={"reason": "重复"})
    client.force_login(agent_a)
    page = client.get(reverse("workorders:workbench"), {"caller": customer.phone}).text
    recent = page.split(f'id="wb-recent-{customer.pk}"')[1].split("</ul>")[0]
    assert done.number in recent and 'data-status="cancelled"' in recent
