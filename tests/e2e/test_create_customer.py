"""新建客户 in a real browser: an agent opens the form from the customer list, is told the
phone is already on file, saves with a mistyped ID number, sees the error at the ID number
field, corrects it, and lands on the new customer's 360 page."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from kefu.customers.models import Customer
from kefu.customers.validation import FIELD_LABELS, REASONS
from tests.factories import PASSWORD, make_customer, valid_id_number

pytestmark = [pytest.mark.e2e]


def test_agent_creates_a_customer_after_fixing_the_id_number(
    transactional_db, live_server, browser, screenshots_dir, org, agent_a
):
    existing = make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="陈建华", phone="13805712233"
    )
    good_id = valid_id_number(birth="19850612", seq="456")
    bad_id = good_id[:-1] + ("1" if good_id[-1] != "1" else "2")  # wrong check digit
    with translation.override("zh-hans"):
        id_label = str(FIELD_LABELS["id_number"])
        reason = str(REASONS["wrong check digit"])

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", agent_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/$"))

    page.click("#nav-customer_list")
    page.click("#customer-new")
    page.wait_for_selector("#customer-create-form")
    page.select_option("#id_kind", "individual")
    page.fill("#id_name", "陈晓燕")
    page.fill("#id_id_number", bad_id)
    page.fill("#id_phone", "138 0571 2233")
    # htmx asks, as the phone is typed, whether someone in scope already has it
    warning = page.locator("#same-phone-warning")
    warning.wait_for()
    assert warning.locator(f"#same-phone-{existing.pk}").inner_text() == "陈建华"
    page.fill("#id_address", "杭州市上城区解放路 18 号")
    page.select_option("#id_org_unit", str(org["team_a1"].pk))
    page.fill("#id_monthly_value", "168")
    page.select_option("#id_product_kind", "broadband")
    page.fill("#id_account_number", "BB5710099")

    page.click("#customer-create-submit")
    id_field = page.locator(".field.has-error", has=page.locator("#id_id_number"))
    id_field.wait_for()
    assert id_field.locator("label").inner_text() == id_label
    assert id_field.locator(".field-error").inner_text() == reason
    assert page.locator("#form-errors").inner_text().count(id_label) == 1
    assert page.input_value("#id_name") == "陈晓燕"  # nothing typed is lost
    assert page.locator("#same-phone-warning").is_visible()  # still warned, not blocked
    page.screenshot(path=screenshots_dir / "customer-create-error.png", full_page=True)
    assert not Customer.objects.filter(name="陈晓燕").exists()

    page.fill("#id_id_number", good_id)
    page.click("#customer-create-submit")
    page.wait_for_selector("#customer-name")
    created = Customer.objects.get(name="陈晓燕")
    assert page.url == f"{base}/customers/{created.pk}/"
    assert page.locator("#customer-name").inner_text() == "陈晓燕"
    assert page.locator(f"#customer-{created.pk}-phone").inner_text() == "138****2233"
    assert "BB5710099" in page.locator("#customer-products").inner_text()
    assert existing.code in page.locator(".message-warning").inner_text()
    assert created.org_unit == org["team_a1"] and created.id_number == good_id
    context.close()
