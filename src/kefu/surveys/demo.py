"""Demo survey answers 演示问卷: last month's group-customer SMS survey of one prefecture,
sent by its supervisor to a stratified sample, answered by about four in ten through the
signed link (scores skewed high, as such surveys come back), then closed — through the
real services."""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from kefu.surveys import services
from kefu.surveys.models import Campaign, Survey

SUPERVISOR = "supervisor_jn01"
NAME = "集团客户满意度（演示）"
WEIGHTS = [1, 1, 1, 2, 3, 5, 8, 14, 20, 22]  # 1–10


def demo_survey_answers(*, seed: int, size: int = 300) -> int:
    """Answers given (0 when the demo survey is there already or nobody can run it)."""
    supervisor = get_user_model().objects.filter(username=SUPERVISOR).first()
    survey = Survey.objects.filter(is_template=True).first()
    if supervisor is None or survey is None or Campaign.objects.filter(name=NAME).exists():
        return 0
    campaign = services.campaign_create(
        actor=supervisor,
        survey=survey,
        name=NAME,
        channel="web",
        sample=services.Sample(
            region=supervisor.staff.org_unit, size=size, stratify="tier", seed=seed
        ),
    )
    services.campaign_send(actor=supervisor, campaign=campaign)
    rng = random.Random(seed)
    questions = list(campaign.version.questions.all())
    answered = 0
    for invitation in campaign.invitations.order_by("pk"):
        if rng.random() >= 0.42:
            continue
        raw = {q.pk: str(rng.choices(range(1, 11), WEIGHTS)[0]) for q in questions}
        services.answers_submit(invitation=invitation, raw=raw)
        answered += 1
    services.campaign_close(actor=supervisor, campaign=campaign)
    return answered
