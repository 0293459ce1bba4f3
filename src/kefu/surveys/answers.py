"""Reading a respondent's answers, question by question: a score in range, a level 1–3, a
choice by its number, free text. Errors name the question ("第 2 题") so the page and the
SMS can say what to fix. Pure: no database."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

TEXT_MAX = 1000


def _number(raw: object) -> int | None:
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    text = text.strip(" 。.!！,，;；、分")
    return int(text) if re.fullmatch(r"\d{1,2}", text) else None


def one_value(question, raw: object) -> list:
    """The values `raw` answers `question` with ([] for a blank), or ValueError."""
    if question.kind == "text":
        text = str(raw or "").strip()
        if len(text) > TEXT_MAX:
            raise ValueError(_("At most %(n)d characters.") % {"n": TEXT_MAX})
        return [text] if text else []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    items = [i for i in items if str(i if i is not None else "").strip()]
    if not items:
        return []
    if question.kind != "multiple" and len(items) > 1:
        raise ValueError(_("Choose one answer."))
    if question.kind == "multiple":  # "1 3" by SMS, ["1", "3"] from the page
        items = [p for i in items for p in re.split(r"[\s,，、]+", str(i)) if p]
    low, high = _range(question)
    values = []
    for item in items:
        value = _number(item)
        if value is None or not low <= value <= high:
            raise ValueError(
                _("Answer with a number from %(low)d to %(high)d.") % {"low": low, "high": high}
            )
        values.append(value)
    return sorted(set(values))


def _range(question) -> tuple[int, int]:
    if question.kind == "score_10":
        return (0 if question.is_nps else 1), 10
    if question.kind == "level_3":
        return 1, 3
    return 1, len(question.choices)


def checked_answers(questions, raw: dict) -> dict[int, list]:
    """{question id: values} for every question, or ValidationFailed naming each one
    answered wrongly or left blank though required."""
    values, errors = {}, {}
    for n, question in enumerate(questions, start=1):
        field = _("question %(n)d") % {"n": n}
        try:
            answer = one_value(question, raw.get(question.pk))
        except ValueError as exc:
            errors[field] = [str(exc)]
            continue
        if not answer and question.required:
            errors[field] = [_("Please answer this question.")]
        elif answer:
            values[question.pk] = answer
    if errors:
        raise ValidationFailed.for_fields(errors)
    return values
