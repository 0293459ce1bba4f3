"""Satisfaction 满意度: the three levels, what a customer's SMS reply means, and the rates.

Pure: no Django, no database. The callback app (回访) and the surveys build on it.

- Levels: 非常满意 / 满意 / 不满意, answered in an SMS by the digits 1 / 2 / 3 (the
  outgoing text says so) or by the words.
- `reply_meaning` reads what people actually type: full-width digits, spaces and
  punctuation around the answer, a digit or word followed by a comment
  ("3 师傅迟到了" → dissatisfied, with that reason). Anything else is `None` (a person
  reads it in the review queue); it never raises.
- `satisfaction_rate` = (very satisfied + satisfied) / (very + satisfied + dissatisfied):
  no answer and refused are not in the denominator; they count against `coverage`
  (callbacks done ÷ callbacks due). `timeliness` = done within the limit ÷ done.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    DISSATISFIED = "dissatisfied"  # 不满意


# What the outgoing SMS offers: its digit, then its words (longest first, so that 不满意
# and 非常满意 are not read as 满意).
REPLY_CODES = {"1": Level.VERY_SATISFIED, "2": Level.SATISFIED, "3": Level.DISSATISFIED}
REPLY_WORDS = (
    ("非常满意", Level.VERY_SATISFIED),
    ("不满意", Level.DISSATISFIED),
    ("满意", Level.SATISFIED),
)
COMMENT_MAX = 500

# Around the answer: whitespace and punctuation of either width (after NFKC, full-width
# ASCII punctuation is half-width; the CJK ones stay).
_EDGE = " \t\r\n.,;:!?~-_*#/\\|'\"()[]{}<>。，、；：！？～…—·「」『』（）【】《》〈〉“”‘’"


@dataclass(frozen=True)
class Reply:
    """What a reply says: its level, and the comment after it (the reason, for a
    dissatisfied answer)."""

    level: Level
    comment: str = ""


def _normalised(text: str) -> str:
    # NFKC: full-width digits and Latin → half-width; then drop zero-width characters.
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _comment(rest: str) -> str:
    return rest.strip(_EDGE)[:COMMENT_MAX]


def reply_meaning(text: str | None, codes: Mapping[str, Level] = REPLY_CODES) -> Reply | None:
    """The level a reply gives, with its comment; None when it gives none clearly.
    `codes`: the digits the outgoing SMS offers (configurable; 1/2/3 by default)."""
    if not text:
        return None
    body = _normalised(str(text)).strip(_EDGE)
    if not body:
        return None
    head = body[0]
    if head in codes:
        rest = body[1:]
        if rest[:1].isdigit():  # "12", "31": not one of the three answers
            return None
        return Reply(Level(codes[head]), _comment(rest))
    squeezed = re.sub(r"\s+", "", body)
    for word, level in REPLY_WORDS:
        if squeezed.startswith(word):
            # The comment from the original text: after the word's characters.
            rest = _after_word(body, word)
            return Reply(level, _comment(rest))
    return None


def _after_word(body: str, word: str) -> str:
    """`body` after the characters of `word`, whatever spaces were typed between them."""
    position, matched = 0, 0
    while matched < len(word) and position < len(body):
        if body[position] == word[matched]:
            matched += 1
        position += 1
    return body[position:]


def satisfaction_rate(*, very_satisfied: int, satisfied: int, dissatisfied: int) -> float | None:
    """(非常满意 + 满意) ÷ (非常满意 + 满意 + 不满意); None when nobody answered."""
    answered = very_satisfied + satisfied + dissatisfied
    return None if answered == 0 else (very_satisfied + satisfied) / answered


def coverage(*, done: int, due: int) -> float | None:
    """Callbacks done ÷ callbacks due (覆盖率); None when none was due."""
    return None if due == 0 else done / due


def timeliness(*, on_time: int, done: int) -> float | None:
    """Callbacks done within their limit ÷ callbacks done (及时率); None when none done."""
    return None if done == 0 else on_time / done
