"""What a customer's SMS reply to a callback means, and the satisfaction figures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.callbacks.satisfaction import (
    COMMENT_MAX,
    Level,
    Reply,
    coverage,
    reply_meaning,
    satisfaction_rate,
    timeliness,
)

V, S, D = Level.VERY_SATISFIED, Level.SATISFIED, Level.DISSATISFIED


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("1", Reply(V)),
        ("2", Reply(S)),
        ("3", Reply(D)),
        ("１", Reply(V)),  # full-width
        ("  ３。 ", Reply(D)),
        ("【2】", Reply(S)),
        ("非常满意", Reply(V)),
        ("满意！", Reply(S)),
        ("不满意", Reply(D)),
        ("非 常 满 意", Reply(V)),
        ("3 师傅迟到了", Reply(D, "师傅迟到了")),
        ("3师傅迟到了", Reply(D, "师傅迟到了")),
        ("３，师傅迟到了两个小时！", Reply(D, "师傅迟到了两个小时")),
        ("不满意，装了三次才装好", Reply(D, "装了三次才装好")),
        ("1 谢谢师傅", Reply(V, "谢谢师傅")),
    ],
)
def test_what_people_actually_type_is_understood(text, meaning):
    assert reply_meaning(text) == meaning


@pytest.mark.parametrize(
    "text",
    ["", "   ", "。。。", "0", "4", "12", "31", "不", "好", "还行吧", "请回电", "ok", None],
)
def test_anything_else_is_left_for_a_person(text):
    assert reply_meaning(text) is None


def test_the_words_are_read_longest_first():
    """不满意 and 非常满意 both contain 满意."""
    assert reply_meaning("不满意").level is D
    assert reply_meaning("非常满意").level is V


def test_a_long_comment_is_kept_to_its_limit():
    meaning = reply_meaning("3 " + "太慢" * 1000)
    assert meaning.level is D and len(meaning.comment) == COMMENT_MAX


@given(st.text(max_size=300))
def test_no_text_makes_it_raise(text):
    meaning = reply_meaning(text)
    assert meaning is None or (meaning.level in Level and len(meaning.comment) <= COMMENT_MAX)


@given(st.sampled_from("123"), st.text(alphabet="，。！ 师傅迟到了服务好", max_size=20))
def test_a_digit_then_a_comment_keeps_the_digits_level(digit, comment):
    meaning = reply_meaning(digit + comment)
    assert meaning is not None and meaning.level is {"1": V, "2": S, "3": D}[digit]


def test_the_rate_leaves_no_answer_out_of_the_denominator():
    assert satisfaction_rate(very_satisfied=6, satisfied=3, dissatisfied=1) == 0.9
    assert satisfaction_rate(very_satisfied=0, satisfied=0, dissatisfied=2) == 0.0
    assert satisfaction_rate(very_satisfied=0, satisfied=0, dissatisfied=0) is None


def test_coverage_and_timeliness():
    assert coverage(done=45, due=50) == 0.9 and coverage(done=0, due=0) is None
    assert timeliness(on_time=40, done=45) == pytest.approx(0.8889, abs=1e-4)
    assert timeliness(on_time=0, done=0) is None
