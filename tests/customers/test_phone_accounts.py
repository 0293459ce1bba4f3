"""A product's account number that is a phone number (mobile, fixed line) is personal data:
masked in the API, on the 360 page and in the export alike, shown only by a logged reveal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.core.errors import NotFound, ValidationFailed
from kefu.customers import services, services_pii
from kefu.customers.exporting import customers_export
from kefu.customers.models import AccessLog
from tests.customers.test_export import by_code
from tests.factories import api_client, make_customer, make_staff

HTMX = {"HX-Request": "true"}


@pytest.fixture
def customer(agent_a, org):
    return make_customer(actor=agent_a, org_unit=org["team_a1"], phone="13912345678")


@pytest.fixture
def products(agent_a, customer):
    add = services.customer_product_add
    return {
        "mobile": add(
            actor=agent_a, customer=customer, kind="mobile", account_number="13755556666"
        ),
        "fixed": add(
            actor=agent_a, customer=customer, kind="fixed_line", account_number="0571-88887777"
        ),
        "broadband": add(
            actor=agent_a, customer=customer, kind="broadband", account_number="KD-A-0001"
        ),
    }


def test_api_detail_masks_phone_accounts_like_the_phone(agent_a, customer, products):
    body = api_client(agent_a).get(f"/api/v1/customers/{customer.pk}/").json()
    accounts = {p["kind"]: p["account_number"] for p in body["products"]}
    assert accounts == {
        "mobile": "137****6666",
        "fixed_line": "0571-****7777",
        "broadband": "KD-A-0001",  # not a phone: nothing personal to hide
    }
    assert "13755556666" not in str(body) and "88887777" not in str(body)


def test_api_reveal_of_a_phone_account_is_logged(agent_a, customer, products):
    response = api_client(agent_a).post(
        f"/api/v1/customers/{customer.pk}/reveal/",
        {"product": products["mobile"].pk, "reason": "回访"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"account_number": "13755556666"}
    entry = AccessLog.objects.get()
    assert (entry.actor, entry.customer, entry.fields, entry.action) == (
        agent_a,
        customer,
        f"product:{products['mobile'].pk}",
        "reveal",
    )


def test_reveal_needs_view_pii_and_a_phone_product_of_this_customer(
    agent_a, org, customer, products, make_user
):
    handler = make_user("handler_a", org["team_a1"], "handler")  # no view_pii
    refused = api_client(handler).post(
        f"/api/v1/customers/{customer.pk}/reveal/",
        {"product": products["mobile"].pk},
        format="json",
    )
    assert refused.status_code == 403
    with pytest.raises(ValidationFailed):
        services_pii.customer_reveal(
            actor=agent_a, customer=customer, product_id=products["broadband"].pk
        )
    other = make_customer(actor=agent_a, org_unit=org["team_a1"])
    with pytest.raises(NotFound):
        services_pii.customer_reveal(
            actor=agent_a, customer=other, product_id=products["mobile"].pk
        )
    assert not AccessLog.objects.exists()


def test_360_page_masks_phone_accounts_with_a_logged_show_button(
    client, agent_a, customer, products
):
    client.force_login(agent_a)
    text = client.get(reverse("customers:customer_detail", args=[customer.pk])).text
    mobile = products["mobile"]
    assert f'id="customer-{customer.pk}-product-{mobile.pk}">137****6666<' in text
    assert "0571-****7777" in text
    assert "13755556666" not in text and "88887777" not in text
    assert "KD-A-0001" in text
    assert f'name="product" value="{mobile.pk}"' in text

    shown = client.post(
        reverse("customers:customer_reveal", args=[customer.pk]),
        {"product": mobile.pk},
        headers=HTMX,
    )
    assert shown.status_code == 200
    assert f'id="customer-{customer.pk}-product-{mobile.pk}">13755556666<' in shown.text
    assert AccessLog.objects.get().fields == f"product:{mobile.pk}"


def test_export_masks_phone_accounts_as_the_api_does(org, customer, products, tmp_path):
    supervisor = make_staff("sup_a1", org["county_a1"], "supervisor")
    path = tmp_path / "out.xlsx"
    customers_export(actor=supervisor, path=path)
    row = by_code(path)[customer.code]
    assert row["业务账号"] == "137****6666;0571-****7777;KD-A-0001"
