"""The agent's everyday path in a real browser: sign in, find a customer by phone, open the
360 page, show the phone in clear, and find that look in the access log (查阅登记).

Also takes the screenshots the docs show; `KEFU_SCREENSHOTS=1` writes them to
docs/screenshots/*.png (1366x800 desktop, 390x844 phone).
"""

from __future__ import annotations

import re

import pytest

from kefu.customers import services
from kefu.customers.models import AccessLog
from tests.factories import PASSWORD, make_customer

pytestmark = [pytest.mark.e2e]

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}

NAMES = [
    "李建国", "王芳", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞",
    "徐婷", "孙强", "胡斌", "朱丽", "高峰", "林晓", "何平", "郭涛", "马超", "罗琳",
]  # fmt: skip


def _seed(actor, org):
    """A county's worth of customers: varied tiers, products, one override, some history."""
    units = [org["county_a1"], org["team_a1"], org["county_a2"], org["team_a2"]]
    for i, name in enumerate(NAMES):
        make_customer(
            actor=actor,
            org_unit=units[i % len(units)],
            name=name,
            monthly_value=str([36, 88, 128, 158, 268, 520, 99, 45][i % 8] + i),
        )
    make_customer(
        actor=actor,
        org_unit=org["county_a1"],
        name="星河科技有限公司",
        kind="gov_enterprise",
        gov_series="B",
        monthly_value="26800",
        phone="0571-88886666",
    )
    target = make_customer(
        actor=actor,
        org_unit=org["team_a1"],
        name="王小明",
        phone="13912345678",
        monthly_value="268",
        address="杭州市西湖区文三路 188 号 3 单元 502 室",
    )
    for kind, account, product in [
        ("broadband", "BB5710012345", "光宽带 500M"),
        ("mobile", "13912345678", "畅享套餐 129 元"),
        ("fixed_line", "0571-86661234", "家庭固话"),
    ]:
        services.customer_product_add(
            actor=actor, customer=target, kind=kind, account_number=account, name=product
        )
    services.customer_update(
        actor=actor, customer=target, data={"tags": ["宽带用户", "老客户", "VIP 维系"]}
    )
    services.customer_tier_override(
        actor=actor, customer=target, tier="diamond", reason="集团客户关键联系人，经主管审批"
    )
    return target


def _login(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/$"))


def test_search_reveal_and_access_log(
    transactional_db, live_server, browser, screenshots_dir, org, supervisor_a
):
    target = _seed(supervisor_a, org)
    base = live_server.url

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()

    page.goto(f"{base}/customers/")
    assert "/login/" in page.url  # pages need a signed-in user
    page.screenshot(path=screenshots_dir / "login.png")

    _login(page, base, supervisor_a.username)
    assert page.locator("#tier-counts").is_visible()
    assert page.locator("#nav-access_log").is_visible()
    page.screenshot(path=screenshots_dir / "home.png", full_page=True)

    page.click("#nav-customer_list")
    page.wait_for_selector("#customer-table tbody tr")
    page.screenshot(path=screenshots_dir / "customer-list.png", full_page=True)

    # Search by phone: htmx swaps in the results fragment and pushes the URL.
    page.fill("#id_q", "139 1234 5678")
    page.press("#id_q", "Enter")
    page.wait_for_url(re.compile(r"q=139"))
    rows = page.locator("#customer-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert page.locator(f"#customer-{target.pk}").is_visible()
    assert "139****5678" in page.locator(f"#customer-{target.pk}").inner_text()

    page.click(f"#customer-{target.pk} a.customer-link")
    page.wait_for_selector("#customer-name")
    phone = page.locator(f"#customer-{target.pk}-phone")
    assert phone.inner_text() == "139****5678"
    assert page.locator("#tier-override-note").is_visible()
    page.screenshot(path=screenshots_dir / "customer-360.png", full_page=True)

    assert AccessLog.objects.filter(customer=target).count() == 0
    page.click("#reveal-phone")
    page.wait_for_function(
        "id => document.getElementById(id).textContent === '13912345678'",
        arg=f"customer-{target.pk}-phone",
    )
    assert page.locator("#reveal-phone").count() == 0
    assert AccessLog.objects.filter(customer=target, actor=supervisor_a).count() == 1

    page.click("#nav-access_log")
    page.wait_for_selector("#access-log-table")
    entry = AccessLog.objects.get(customer=target)
    row = page.locator(f"#access-{entry.pk}")
    assert row.is_visible()
    assert row.locator(f"a[href='/customers/{target.pk}/']").count() == 1
    assert "127.0.0.1" in row.inner_text()
    page.screenshot(path=screenshots_dir / "access-log.png", full_page=True)

    page.click("#nav-org_tree")
    page.wait_for_selector("#org-tree")
    page.screenshot(path=screenshots_dir / "org-tree.png", full_page=True)
    context.close()

    # The same 360 page on a phone: one column, the navigation behind the menu button.
    phone_context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone_context.new_page()
    _login(page, base, supervisor_a.username)
    page.goto(f"{base}/customers/")
    page.wait_for_selector("#customer-table")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshots_dir / "customer-list-phone.png")
    assert not page.locator("#sidenav").is_visible()
    page.click("#nav-toggle")
    assert page.locator("#nav-customer_list").is_visible()
    page.screenshot(path=screenshots_dir / "phone-nav.png")
    page.goto(f"{base}/customers/{target.pk}/")
    page.wait_for_selector("#customer-name")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"
    page.screenshot(path=screenshots_dir / "customer-360-phone.png", full_page=True)
    phone_context.close()
