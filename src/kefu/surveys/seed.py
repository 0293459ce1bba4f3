"""The seeded questionnaire: the group-customer SMS survey of seed 000 (集团客户满意度,
短信问卷: three questions, each 1–10). Created once; an administrator's edits are kept."""

from __future__ import annotations

from django.utils import timezone

from kefu.surveys.models import Question, Survey, SurveyVersion

NAME = "集团客户满意度短信问卷"
QUESTIONS = (  # (section, text, tags) — 000:16
    (
        "综合满意度",
        "请您用1至10分对我司整体服务进行打分。10代表非常满意，1代表非常不满意",
        ["关系"],
    ),
    (
        "集团产品",
        "请您用1至10分（10代表非常满意，1代表非常不满意）对我司集团网、移动办公助理、集团彩铃等集团产品的满意度进行打分",
        ["功能"],
    ),
    (
        "业务与服务宣传",
        "请您用1至10分对我司业务与服务宣传的满意度进行打分，10代表非常满意，1代表非常不满意",
        ["流程"],
    ),
)


def surveys_seed() -> None:
    if Survey.objects.filter(name=NAME, is_template=True).exists():
        return
    now = timezone.now()
    survey = Survey.objects.create(
        name=NAME,
        description="集团客户综合满意度与重点商业过程（集团产品、业务与服务宣传），短信+外呼。",
        tags=["集团客户"],
        created_at=now,
        is_template=True,
    )
    version = SurveyVersion.objects.create(survey=survey, number=1, created_at=now)
    Question.objects.bulk_create(
        Question(
            version=version, position=n, section=section, kind="score_10", text=text, tags=tags
        )
        for n, (section, text, tags) in enumerate(QUESTIONS, start=1)
    )
