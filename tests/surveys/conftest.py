"""A supervisor of prefecture A, the seeded group-customer survey, customers to sample."""

from __future__ import annotations

import pytest

from kefu.customers.models import Customer
from kefu.surveys import services
from kefu.surveys.models import Survey
from kefu.surveys.services import QuestionSpec, Sample
from tests.factories import make_customer


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.KEFU_SMS_INBOUND_SECRET = "gateway-secret-for-tests"
    settings.KEFU_PUBLIC_URL = "http://kefu.test"


@pytest.fixture
def seeded(db):
    return Survey.objects.get(is_template=True)


@pytest.fixture
def crowd(org, agent_a, agent_b, supervisor_a):
    """12 customers in A1 (8 gold, 4 silver), 3 in A2 — and 5 in B1, outside A's reach."""
    made = []
    for n in range(12):
        made.append(
            make_customer(actor=agent_a, org_unit=org["county_a1"], phone=f"1380000{n:04d}")
        )
    for n in range(12):
        Customer.objects.filter(pk=made[n].pk).update(tier="gold" if n < 8 else "silver")
    for n in range(3):
        make_customer(
            actor=supervisor_a,
            org_unit=org["county_a2"],
            phone=f"1381000{n:04d}",
        )
    for n in range(5):
        make_customer(actor=agent_b, org_unit=org["county_b1"], phone=f"1382000{n:04d}")
    return made


def campaign(actor, survey, region, *, size=5, channel="web", **sample):
    return services.campaign_create(
        actor=actor,
        survey=survey,
        name="2025 年集团客户满意度",
        channel=channel,
        sample=Sample(region=region, size=size, **sample),
    )


ALL_KINDS = [
    QuestionSpec(text="整体服务打分", kind="score_10", section="总体"),
    QuestionSpec(text="您会向朋友推荐我们吗", kind="score_10", is_nps=True),
    QuestionSpec(text="对装维服务满意吗", kind="level_3"),
    QuestionSpec(text="主要使用哪项业务", kind="single", choices=("宽带", "固话", "IPTV")),
    QuestionSpec(text="希望改进哪些方面", kind="multiple", choices=("网速", "资费", "服务")),
    QuestionSpec(text="其他意见", kind="text", required=False),
]
