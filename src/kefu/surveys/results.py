"""A campaign's results 调查结果: response rate, and per question the distribution, mean,
CSAT and NPS — two GROUP BY queries over the answers' (campaign, question, value) index,
whatever the number of responses; the arithmetic on the few counts is in Python.

CSAT: for a 1–10 score, the share answering 8 or more; for the three levels, (very
satisfied + satisfied) ÷ all. NPS (the "would you recommend" 0–10 question): % of 9–10
minus % of 0–6.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from kefu.surveys.models import Answer, Campaign, InvitationStatus, Question, QuestionKind


@dataclass
class QuestionResult:
    question: Question
    counts: dict[int, int] = field(default_factory=dict)  # value → answers
    texts: int = 0

    @property
    def answered(self) -> int:
        return sum(self.counts.values()) + self.texts

    @property
    def mean(self) -> float | None:
        if self.question.kind not in (QuestionKind.SCORE_10, QuestionKind.LEVEL_3):
            return None
        n = sum(self.counts.values())
        return sum(v * c for v, c in self.counts.items()) / n if n else None

    @property
    def csat(self) -> float | None:
        n = sum(self.counts.values())
        if not n:
            return None
        if self.question.kind == QuestionKind.SCORE_10 and not self.question.is_nps:
            return sum(c for v, c in self.counts.items() if v >= 8) / n
        if self.question.kind == QuestionKind.LEVEL_3:
            return sum(c for v, c in self.counts.items() if v in (1, 2)) / n
        return None

    @property
    def nps(self) -> float | None:
        n = sum(self.counts.values())
        if not (self.question.is_nps and n):
            return None
        promoters = sum(c for v, c in self.counts.items() if v >= 9)
        detractors = sum(c for v, c in self.counts.items() if v <= 6)
        return (promoters - detractors) * 100 / n

    def distribution(self) -> list[tuple[str, int]]:
        q = self.question
        if q.kind == QuestionKind.SCORE_10:
            return [(str(v), self.counts.get(v, 0)) for v in range(q.low, 11)]
        if q.kind == QuestionKind.LEVEL_3:
            names = ("非常满意", "满意", "不满意")
            return [(names[v - 1], self.counts.get(v, 0)) for v in (1, 2, 3)]
        return [(c, self.counts.get(n, 0)) for n, c in enumerate(q.choices, start=1)]


@dataclass
class Results:
    invited: int
    answered: int
    questions: list[QuestionResult]

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


def survey_results(campaign: Campaign) -> Results:
    """The caller found `campaign` through the selectors (its data scope)."""
    counts = campaign.invitations.aggregate(
        invited=Count("pk"), answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED))
    )
    by_question: dict[int, QuestionResult] = {
        q.pk: QuestionResult(q) for q in campaign.version.questions.all()
    }
    rows = (
        Answer.objects.filter(campaign=campaign)
        .values_list("question_id", "value")
        .annotate(n=Count("*"))
        .order_by()
    )
    texts: dict[int, int] = defaultdict(int)
    for question_id, value, n in rows:
        result = by_question.get(question_id)
        if result is None:
            continue
        if value is None:
            texts[question_id] += n
        else:
            result.counts[value] = n
    for question_id, n in texts.items():
        by_question[question_id].texts = n
    return Results(counts["invited"], counts["answered"], list(by_question.values()))
