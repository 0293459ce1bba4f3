"""The 360 page's further phone contacts: masked, each with its own logged 显示 button."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.customers import services
from kefu.customers.models import AccessLog
from tests.factories import make_customer

HTMX = {"HX-Request": "true"}


@pytest.fixture
def customer(agent_a, org):
    return make_customer(actor=agent_a, org_unit=org["team_a1"], name="王小明")


@pytest.fixture
def mobile(agent_a, customer):
    return services.customer_contact_add(
        actor=agent_a, customer=customer, kind="mobile", value="13900001111", label="女儿"
    )


def _reveal(client, customer, **data):
    return client.post(reverse("customers:customer_reveal", args=[customer.pk]), data, headers=HTMX)


def test_phone_contacts_are_masked_with_a_show_button_others_in_clear(
    client, agent_a, customer, mobile
):
    services.customer_contact_add(
        actor=agent_a, customer=customer, kind="email", value="wang@example.com"
    )
    client.force_login(agent_a)
    text = client.get(reverse("customers:customer_detail", args=[customer.pk])).text
    assert f'id="customer-{customer.pk}-contact-{mobile.pk}">139****1111<' in text
    assert "13900001111" not in text
    assert f'id="reveal-contact-{mobile.pk}"' in text
    assert f'name="contact" value="{mobile.pk}"' in text
    assert "wang@example.com" in text  # e-mail is not masked, so nothing to reveal


def test_show_contact_swaps_in_the_number_and_logs_the_contact(client, agent_a, customer, mobile):
    client.force_login(agent_a)
    response = _reveal(client, customer, contact=mobile.pk)
    assert response.status_code == 200
    assert f'id="customer-{customer.pk}-contact-{mobile.pk}-wrap"' in response.text
    assert f'id="customer-{customer.pk}-contact-{mobile.pk}">13900001111<' in response.text
    assert "no-store" in response["Cache-Control"]
    entry = AccessLog.objects.get()
    assert (entry.actor, entry.customer, entry.fields) == (
        agent_a,
        customer,
        f"contact:{mobile.pk}",
    )


def test_access_log_names_the_revealed_contact(client, agent_a, supervisor_a, customer, mobile):
    client.force_login(agent_a)
    _reveal(client, customer, contact=mobile.pk)
    entry = AccessLog.objects.get()
    client.force_login(supervisor_a)
    response = client.get(reverse("customers:access_log"))
    row = response.text[response.text.index(f'id="access-{entry.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f"#{mobile.pk}" in row
    assert "contact:" not in row  # a label, not the raw key


def test_contact_of_another_customer_is_404_and_not_logged(client, agent_a, org, customer):
    other = make_customer(actor=agent_a, org_unit=org["team_a1"])
    foreign = services.customer_contact_add(
        actor=agent_a, customer=other, kind="mobile", value="13722223333"
    )
    client.force_login(agent_a)
    response = _reveal(client, customer, contact=foreign.pk)
    assert response.status_code == 404
    assert "13722223333" not in response.text
    assert not AccessLog.objects.exists()


def test_contact_of_a_customer_outside_scope_is_404(client, agent_a, agent_b, org):
    theirs = make_customer(actor=agent_b, org_unit=org["county_b1"])
    contact = services.customer_contact_add(
        actor=agent_b, customer=theirs, kind="mobile", value="13722224444"
    )
    client.force_login(agent_a)
    assert _reveal(client, theirs, contact=contact.pk).status_code == 404
    assert not AccessLog.objects.exists()


def test_malformed_contact_id_is_a_clear_400(client, agent_a, customer):
    client.force_login(agent_a)
    response = _reveal(client, customer, contact="7 OR 1=1")
    assert response.status_code == 400
    assert not AccessLog.objects.exists()


def test_no_show_button_without_view_pii(client, org, make_user, customer, mobile):
    dispatcher = make_user("disp_a", org["county_a1"], "dispatcher")
    client.force_login(dispatcher)
    text = client.get(reverse("customers:customer_detail", args=[customer.pk])).text
    assert "139****1111" in text
    assert f'id="reveal-contact-{mobile.pk}"' not in text
    assert _reveal(client, customer, contact=mobile.pk).status_code == 403
    assert not AccessLog.objects.exists()
