"""A survey from the supervisor's sample to the chart, in a real browser: the supervisor
draws a stratified sample for the seeded group-customer survey and sends it; a customer
answers on their phone through the signed link (once); the results page shows the response
rate and a chart per question.

`KEFU_SCREENSHOTS=1` writes docs/screenshots/survey-answer-phone.png and survey-results.png.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from kefu.notify.models import Message
from kefu.surveys.models import Answer, Campaign
from tests.factories import PASSWORD, make_customer

pytestmark = [pytest.mark.e2e]


def test_supervisor_sends_a_survey_a_customer_answers_the_chart_shows_it(
    transactional_db, live_server, browser, screenshots_dir, clock, settings, org, agent_a,
    supervisor_a,
):  # fmt: skip
    settings.KEFU_PUBLIC_URL = live_server.url
    clock.set("2025-06-03 10:00")
    for n in range(6):
        make_customer(actor=agent_a, org_unit=org["county_a1"], phone=f"1380000{n:04d}")

    desk = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN")
    page = desk.new_page()
    page.goto(f"{live_server.url}/login/?next={quote('/surveys/')}")
    page.fill("#id_username", supervisor_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(input[name=password]) button")
    page.wait_for_url(re.compile("/surveys/"))
    page.click("text=集团客户满意度短信问卷")
    page.fill("#c-name", "六月集团客户调查")
    page.select_option("#c-region", str(org["county_a1"].pk))
    page.select_option("#c-channel", "web")
    page.fill("#c-size", "4")
    page.click("#campaign-create")
    page.wait_for_selector("#campaign-send")
    page.click("#campaign-send")
    page.wait_for_selector("#campaign-remind")
    campaign = Campaign.objects.get()
    assert campaign.status == "sent" and campaign.invitations.count() == 4

    invite = Message.objects.filter(template="survey_invite").order_by("pk").first()
    link = re.search(r"http://\S+/s/\S+/", invite.body).group(0)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    mobile = phone.new_page()
    mobile.goto(link)
    for n, score in enumerate((9, 8, 10), start=1):
        mobile.check(f"#question-{n} input[value='{score}']")
    _screenshot(mobile, screenshots_dir / "survey-answer-phone.png")
    mobile.click("#survey-submit")
    mobile.wait_for_selector("#survey-thanks")
    mobile.goto(link)  # single use
    assert "已经填写过" in mobile.locator("#survey-refused").inner_text()
    assert sorted(Answer.objects.values_list("value", flat=True)) == [8, 9, 10]

    page.reload()
    assert page.locator("#fig-rate").inner_text() == "25%"
    page.wait_for_selector(f"#chart-{campaign.version.questions.first().pk} .main-svg")
    _screenshot(page, screenshots_dir / "survey-results.png")
    phone.close()
    desk.close()


def _screenshot(page, path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)
