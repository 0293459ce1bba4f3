"""Surveys: versions, sampling inside the scope, signed single-use links, the SMS sequence
through the real gateway endpoint, the results' formulas, the export, and county A
against county B."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core import signing
from openpyxl import load_workbook

from kefu.notify.models import Message
from kefu.surveys import links, services
from kefu.surveys.models import Answer, Campaign, Invitation
from kefu.surveys.results import survey_results
from tests.callbacks.conftest import Resolver, signed_post
from tests.surveys.conftest import ALL_KINDS, campaign

pytestmark = pytest.mark.usefixtures("clock")


def _answer_page(client, invitation, data):
    token = links.link(invitation).rsplit("/s/", 1)[1].rstrip("/")
    return client.post(f"/s/{token}/", data), token


def test_the_seeded_survey_is_seed_000s_three_1_to_10_questions(seeded):
    questions = list(seeded.current.questions.all())
    assert [q.kind for q in questions] == ["score_10"] * 3
    assert "集团网、移动办公助理、集团彩铃" in questions[1].text
    assert [q.tags for q in questions] == [["关系"], ["功能"], ["流程"]]


def test_revising_a_used_survey_makes_a_new_version_the_campaign_keeps_its_own(
    supervisor_a, org, crowd
):
    survey = services.survey_create(
        actor=supervisor_a, name="装维满意度", unit=org["pref_a"], questions=ALL_KINDS[:2]
    )
    running = campaign(supervisor_a, survey, org["pref_a"])
    services.survey_revise(actor=supervisor_a, survey=survey, questions=ALL_KINDS[2:4])
    assert survey.versions.count() == 2
    assert [q.text for q in running.version.questions.all()] == [
        "整体服务打分",
        "您会向朋友推荐我们吗",
    ]
    assert [q.text for q in survey.current.questions.all()] == [
        "对装维服务满意吗",
        "主要使用哪项业务",
    ]


def test_the_sample_stays_in_the_scope_region_and_tiers(supervisor_a, org, crowd, seeded):
    drawn = campaign(supervisor_a, seeded, org["pref_a"], size=50)
    phones = set(drawn.invitations.values_list("phone", flat=True))
    assert len(phones) == 15 and not any(p.startswith("1382") for p in phones)  # not B1's
    with pytest.raises(services.ValidationFailed) as refused:
        campaign(supervisor_a, seeded, org["province"], size=50)  # a region outside A's reach
    assert "region" in refused.value.extra["errors"]
    gold = campaign(supervisor_a, seeded, org["county_a1"], size=50, tiers=("gold",))
    assert gold.invitations.count() == 8


def test_a_stratified_sample_keeps_each_tiers_share(supervisor_a, org, crowd, seeded):
    drawn = campaign(supervisor_a, seeded, org["county_a1"], size=6, stratify="tier", seed=3)
    assert Counter(drawn.invitations.values_list("stratum", flat=True)) == {"gold": 4, "silver": 2}
    again = campaign(supervisor_a, seeded, org["county_a1"], size=6, stratify="tier", seed=3)
    assert set(again.invitations.values_list("customer", flat=True)) == set(
        drawn.invitations.values_list("customer", flat=True)
    )


def test_county_b_cannot_see_send_or_export_county_as_campaign(
    client, supervisor_a, org, crowd, seeded, make_user
):
    theirs = campaign(supervisor_a, seeded, org["county_a1"])
    outsider = make_user("sup_b", org["pref_b"], "supervisor")
    client.force_login(outsider)
    for url in (f"/surveys/campaigns/{theirs.pk}/", f"/surveys/campaigns/{theirs.pk}/export/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/surveys/campaigns/{theirs.pk}/send/").status_code == 404
    assert Campaign.objects.get().status == "draft"
    with pytest.raises(services.NotFound):
        services.campaign_send(actor=outsider, campaign=theirs)


def test_the_link_is_single_use_and_tampered_or_expired_links_are_refused(
    client, clock, supervisor_a, org, crowd, seeded
):
    web = campaign(supervisor_a, seeded, org["county_a1"], size=2)
    services.campaign_send(actor=supervisor_a, campaign=web)
    first, second = web.invitations.order_by("pk")
    assert "http://kefu.test/s/" in Message.objects.filter(template="survey_invite").first().body
    ok, token = _answer_page(client, first, {f"q{q.pk}": "9" for q in web.version.questions.all()})
    assert ok.status_code == 200 and "感谢" in ok.content.decode()
    again, _ = _answer_page(client, first, {f"q{q.pk}": "1" for q in web.version.questions.all()})
    assert again.status_code == 410
    assert client.get(f"/s/{token[:-2]}xx/").status_code == 404  # tampered
    forged = signing.dumps([second.pk, "0" * 32], salt=links.SALT, compress=True)
    assert client.get(f"/s/{forged}/").status_code == 404
    clock.advance(days=8)  # past the campaign's 7 days
    late, _ = _answer_page(client, second, {f"q{q.pk}": "9" for q in web.version.questions.all()})
    assert late.status_code == 410
    assert Answer.objects.filter(invitation=first).count() == 3  # the first answers only
    assert not Answer.objects.filter(invitation=second).exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("11", "1 到 10"), ("", "请回答"), ("abc", "1 到 10"), ("0", "1 到 10")],
)
def test_a_bad_answer_names_the_question_and_nothing_is_saved(
    client, supervisor_a, org, crowd, seeded, value, message
):
    web = campaign(supervisor_a, seeded, org["county_a1"], size=1)
    services.campaign_send(actor=supervisor_a, campaign=web)
    invitation = web.invitations.get()
    q1, q2, q3 = web.version.questions.all()
    response, _ = _answer_page(
        client, invitation, {f"q{q1.pk}": "8", f"q{q2.pk}": value, f"q{q3.pk}": "8"}
    )
    body = response.content.decode()
    assert response.status_code == 400 and "第 2 题" in body and message in body
    assert not Answer.objects.exists() and Invitation.objects.get().status == "pending"


def test_the_sms_sequence_through_the_signed_endpoint(client, supervisor_a, org, crowd, seeded):
    sms = campaign(supervisor_a, seeded, org["county_a1"], size=1, channel="sms")
    services.campaign_send(actor=supervisor_a, campaign=sms)
    invitation = sms.invitations.get()
    assert "（1/3）" in Message.objects.filter(template="survey_question").latest("pk").body

    def reply(text, n):
        body = {"from": invitation.phone, "text": text, "message_id": f"s{n}",
                "received_at": "2025-06-03T10:00:00+08:00"}  # fmt: skip
        return signed_post(client, body).json()["status"]

    assert reply("９分", 1) == "matched"  # full width, a unit after it
    assert "（2/3）" in Message.objects.filter(template="survey_question").latest("pk").body
    assert reply("很好", 2) == "review"  # asked again, with what to reply
    last = Message.objects.filter(template="survey_question").latest("pk").body
    assert "（2/3）" in last and "1 到 10" in last
    assert reply(" 7 ", 3) == "matched" and reply("10。", 4) == "matched"
    invitation.refresh_from_db()
    assert invitation.status == "answered"
    assert sorted(Answer.objects.values_list("value", flat=True)) == [7, 9, 10]


def test_an_open_callback_takes_precedence_over_a_survey(
    client, supervisor_a, org, customer_a, seeded, agent_a, dispatcher_a, handler_a1, types
):
    sms = campaign(supervisor_a, seeded, org["team_a1"], size=1, channel="sms")
    services.campaign_send(actor=supervisor_a, campaign=sms)
    Resolver(org, agent_a, dispatcher_a, handler_a1, types).resolved(customer=customer_a)
    body = {"from": customer_a.phone, "text": "1", "message_id": "x1",
            "received_at": "2025-06-03T10:00:00+08:00"}  # fmt: skip
    assert signed_post(client, body).json()["status"] == "matched"
    assert not Answer.objects.exists()  # the 1 was the callback's answer


def test_results_by_hand(supervisor_a, org, crowd):
    survey = services.survey_create(
        actor=supervisor_a, name="测试", unit=org["pref_a"], questions=ALL_KINDS
    )
    web = campaign(supervisor_a, survey, org["county_a1"], size=4)
    services.campaign_send(actor=supervisor_a, campaign=web)
    q = list(web.version.questions.all())
    answers = [  # score, nps, level, single, multiple, text
        ("10", "10", "1", "1", ["1", "2"], "好"),
        ("8", "9", "2", "1", ["1"], ""),
        ("5", "3", "3", "2", ["3"], ""),
    ]
    for invitation, row in zip(web.invitations.order_by("pk"), answers, strict=False):
        services.answers_submit(
            invitation=invitation, raw={x.pk: v for x, v in zip(q, row, strict=True)}
        )
    r = survey_results(web)
    assert (r.invited, r.answered, r.response_rate) == (4, 3, 0.75)
    score, nps, level, single, multiple, text = r.questions
    assert score.mean == pytest.approx(23 / 3) and score.csat == pytest.approx(2 / 3)
    assert nps.nps == pytest.approx((2 - 1) * 100 / 3) and nps.csat is None
    assert level.csat == pytest.approx(2 / 3) and level.mean == pytest.approx(2.0)
    assert single.distribution() == [("宽带", 2), ("固话", 1), ("IPTV", 0)]
    assert multiple.distribution() == [("网速", 2), ("资费", 1), ("服务", 1)]
    assert text.answered == 1


def test_the_export_is_the_raw_answers(client, supervisor_a, org, crowd):
    survey = services.survey_create(
        actor=supervisor_a, name="测试", unit=org["pref_a"], questions=ALL_KINDS[3:5]
    )
    web = campaign(supervisor_a, survey, org["county_a1"], size=1)
    services.campaign_send(actor=supervisor_a, campaign=web)
    single, multiple = web.version.questions.all()
    services.answers_submit(
        invitation=web.invitations.get(), raw={single.pk: "3", multiple.pk: ["1", "3"]}
    )
    client.force_login(supervisor_a)
    response = client.get(f"/surveys/campaigns/{web.pk}/export/")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:3] == ("客户编号", "手机号", "回答时间")
    assert rows[1][3:] == ("IPTV", "网速、服务")


def test_the_builder_and_the_campaign_pages(client, supervisor_a, org, crowd):
    client.force_login(supervisor_a)
    response = client.post(
        "/surveys/new/",
        {"name": "营业厅满意度", "unit": org["pref_a"].pk, "tags": "流程",
         "q0_text": "排队时间满意吗", "q0_kind": "level_3", "q0_required": "on",
         "q1_text": "给营业厅打分", "q1_kind": "score_10", "q1_required": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    survey_url = response["Location"]
    response = client.post(
        survey_url,
        {"name": "六月营业厅", "channel": "web", "region": org["county_a1"].pk, "size": "5",
         "stratify": "tier", "expires_days": "7"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "六月营业厅" in page and 'id="fig-invited">5<' in page and "plotly.min.js" in page


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "unit": "1", "q0_text": "x", "q0_kind": "text"},
        {"name": "x", "unit": "999999999999999", "q0_text": "x", "q0_kind": "text"},
        {"name": "x", "unit": "abc", "q0_text": "q", "q0_kind": "score_99"},
        {"name": "x" * 5000, "q0_text": "y" * 5000, "q0_kind": "single"},
    ],
)
def test_hostile_builder_input_is_a_form_error_not_a_500(client, supervisor_a, data):
    client.force_login(supervisor_a)
    response = client.post("/surveys/new/", data)
    assert response.status_code == 400
    assert not services.Survey.objects.filter(is_template=False).exists()


def test_the_demo_has_a_closed_survey_with_about_four_in_ten_answers(db):
    from kefu.customers.demo import demo_customers_create
    from kefu.org.demo import org_demo_seed
    from kefu.surveys.demo import demo_survey_answers

    org_demo_seed()
    demo_customers_create(count=400, seed=11)
    answered = demo_survey_answers(seed=3, size=100)
    demo = Campaign.objects.get()
    assert demo.status == "closed" and demo.invitations.count() == 100
    assert 25 <= answered <= 60 and survey_results(demo).answered == answered
    assert demo_survey_answers(seed=3, size=100) == 0  # once


def test_a_prefecture_runs_the_seeded_template_but_cannot_edit_it(client, supervisor_a, seeded):
    client.force_login(supervisor_a)
    page = client.get(f"/surveys/{seeded.pk}/").content.decode()
    assert 'id="campaign-form"' in page and f"/surveys/{seeded.pk}/edit/" not in page
    assert client.get(f"/surveys/{seeded.pk}/edit/").status_code == 404
    response = client.post(f"/surveys/{seeded.pk}/edit/", {"q0_text": "改掉", "q0_kind": "text"})
    assert response.status_code == 404
    assert seeded.current.questions.count() == 3
