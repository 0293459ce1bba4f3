"""The raw answers of a campaign as xlsx, one row per respondent, one column per question
(streamed: openpyxl's write-only workbook). The phone is masked unless the viewer may see
personal data."""

from __future__ import annotations

from collections import defaultdict
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook

from kefu.core.masking import mask_phone
from kefu.surveys.models import Answer, Campaign, InvitationStatus

CHUNK = 5000


def answers_xlsx(campaign: Campaign, *, clear_phone: bool) -> bytes:
    questions = list(campaign.version.questions.all())
    book = Workbook(write_only=True)
    sheet = book.create_sheet("answers")
    sheet.append(
        ["客户编号", "手机号", "回答时间", *[f"{q.position}. {q.text}" for q in questions]]
    )
    answered = (
        campaign.invitations.filter(status=InvitationStatus.ANSWERED)
        .select_related("customer")
        .order_by("pk")
    )
    for start in range(0, answered.count(), CHUNK):
        chunk = list(answered[start : start + CHUNK])
        values = defaultdict(lambda: defaultdict(list))
        for inv, question, value, text in Answer.objects.filter(
            invitation__in=[i.pk for i in chunk]
        ).values_list("invitation_id", "question_id", "value", "text"):
            values[inv][question].append(_shown(question, value, text, questions))
        for inv in chunk:
            phone = inv.phone if clear_phone else mask_phone(inv.phone)
            row = [
                inv.customer.code,
                phone,
                timezone.localtime(inv.answered_at).strftime("%Y-%m-%d %H:%M")
                if inv.answered_at
                else "",
            ]
            row += ["、".join(values[inv.pk][q.pk]) for q in questions]
            sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _shown(question_id: int, value, text: str, questions) -> str:
    if value is None:
        return text
    question = next(q for q in questions if q.pk == question_id)
    if question.kind in ("single", "multiple") and 1 <= value <= len(question.choices):
        return question.choices[value - 1]
    if question.kind == "level_3":
        return ("非常满意", "满意", "不满意")[value - 1]
    return str(value)
