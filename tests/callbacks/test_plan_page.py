"""The callback-plan page: a callback agent plans thank-you calls and a residence list;
a unit outside their scope is refused beside the field; an agent without the permission
gets 403."""

from __future__ import annotations

import openpyxl
import pytest

from kefu.callbacks.models import CallbackPlan, CallbackTask
from tests.factories import PASSWORD, make_customer

pytestmark = pytest.mark.usefixtures("clock")
URL = "/callbacks/plans/"


@pytest.fixture
def signed_in(client, callback_agent):
    client.login(username=callback_agent.username, password=PASSWORD)
    return client


@pytest.fixture
def gold(org, agent_a):
    c = make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="金卡客户", phone="13900000001"
    )
    c.tier = "gold"
    c.save()
    return c


def test_a_callback_agent_plans_thank_you_calls(signed_in, org, gold):
    page = signed_in.get(URL)
    assert page.status_code == 200 and "感谢回访" in page.content.decode()
    response = signed_in.post(
        URL,
        {
            "kind": "thank_you",
            "thank_you-name": "金卡客户感谢",
            "thank_you-unit": org["county_a1"].pk,
            "thank_you-tiers": ["gold"],
            "thank_you-size": 5,
            "thank_you-seed": 1,
        },
    )
    assert response.status_code == 302
    plan = CallbackPlan.objects.get()
    assert [t.customer for t in plan.tasks.all()] == [gold]
    assert "金卡客户感谢" in signed_in.get(URL).content.decode()


def test_a_unit_outside_the_scope_is_not_offered_and_nothing_is_written(signed_in, org, gold):
    response = signed_in.post(
        URL,
        {
            "kind": "thank_you",
            "thank_you-name": "越权",
            "thank_you-unit": org["county_b1"].pk,
            "thank_you-tiers": ["gold"],
            "thank_you-size": 5,
            "thank_you-seed": 1,
        },
    )
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not CallbackTask.objects.exists()


def test_a_residence_list_with_a_bad_row_is_refused_naming_it(signed_in, org, gold, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["客户编号", "入住日期"])
    book.active.append([gold.code, "不知道"])
    path = tmp_path / "owners.xlsx"
    book.save(path)
    with path.open("rb") as fh:
        response = signed_in.post(
            URL,
            {
                "kind": "residence",
                "residence-name": "翠湖苑",
                "residence-unit": org["county_a1"].pk,
                "residence-file": fh,
            },
        )
    body = response.content.decode()
    assert response.status_code == 200 and "第 2 行「入住日期」" in body
    assert not CallbackPlan.objects.exists()


def test_an_agent_without_the_permission_gets_403(client, agent_a):
    client.login(username=agent_a.username, password=PASSWORD)
    assert client.get(URL).status_code == 403
