"""Reading messages (no server needed) and the mailbox configuration rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.intake.mail.parse import (
    decode_bytes,
    decode_header_value,
    html_to_text,
    message_key,
    parse_message,
    strip_quoted,
)
from kefu.intake.mail.services import mail_take_in
from kefu.intake.models import Mailbox, MailKind
from kefu.workorders.models import WorkOrder
from tests.intake.mails import encoded_word, make_mail


def test_gb2312_label_on_gbk_text_is_read_as_gbk():
    assert decode_bytes("朱镕基".encode("gbk"), "gb2312") == "朱镕基"
    assert decode_header_value(encoded_word("朱镕基", "gbk", "GB2312")) == "朱镕基"


def test_unknown_or_wrong_charset_falls_back_to_utf8_then_gbk():
    assert decode_bytes("中文".encode(), "x-unknown") == "中文"
    assert decode_bytes("中文".encode("gbk"), "us-ascii") == "中文"
    assert decode_bytes(b"\xff\xfe\xfa", None)  # undecodable: replaced, not raised


def test_quoted_printable_subject_and_mixed_words():
    value = "=?utf-8?Q?=E5=AE=BD=E5=B8=A6?= " + encoded_word("故障", "gbk")
    assert decode_header_value(value) == "宽带故障"
    assert decode_header_value("=?utf-8?B?!!!not base64?=") != ""


def test_html_body_keeps_text_and_drops_markup():
    text = html_to_text(
        "<html><head><title>t</title><style>p{}</style></head>"
        "<body><p>第一段&nbsp;&lt;重要&gt;</p><div>第二段</div><script>x()</script>"
    )
    assert text == "第一段\xa0<重要>\n\n第二段"


def test_reply_loses_the_quoted_original():
    reply = "好的，明天上午在家。\n\n在 2026年11月23日 10:00，客服 写道：\n> 请问何时方便上门？"
    assert strip_quoted(reply) == "好的，明天上午在家。"
    assert strip_quoted("> only a quote") == "> only a quote"  # nothing new: keep it all


def test_plain_text_is_preferred_in_multipart_alternative():
    raw = (
        b"From: a@example.cn\r\nSubject: alt\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/alternative; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n"
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html version</p>\r\n--b--\r\n"
    )
    assert parse_message(raw).body == "plain version"


def test_message_without_message_id_is_keyed_by_its_content():
    raw = b"From: a@example.cn\r\nSubject: x\r\n\r\nbody\r\n"
    assert message_key(raw) == message_key(raw) != message_key(raw + b"more")
    assert message_key(make_mail(message_id="<abc@x>")) == "<abc@x>"


@pytest.mark.parametrize(
    "raw",
    [
        # Python's modern header parser raises IndexError while reading this message.
        b"From: a@example.cn\r\nContent-Type: text/plain; name*\r\n=x\r\n\r\nbody",
        # A charset name with a NUL in it; a literal \\u between encoded words.
        b"From: a@example.cn\r\nSubject: =?gb\x002312?B?1sbO5A==?= \\uZZ =?utf-8?B?5Lit?=\r\n\r\nx",
    ],
)
def test_messages_that_broke_the_parser_are_read(raw):
    mail = parse_message(raw)
    assert mail.from_address == "a@example.cn" and mail.body.endswith(("body", "x"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw):
    mail = parse_message(raw)
    assert "\x00" not in mail.body + mail.subject + mail.from_name
    assert message_key(raw)


_header_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80).map(
    lambda s: s.replace("\r", "").replace("\n", "")
)


@settings(max_examples=200, deadline=None)
@given(
    subject=_header_text,
    ctype=st.sampled_from(["text/plain", "text/html", "multipart/mixed", 'x/y; charset="', ""]),
    charset=st.sampled_from(["utf-8", "gb2312", "gbk", "big5", "x-bogus", "", '"']),
)
def test_hostile_headers_parse_without_raising(subject, ctype, charset):
    raw = (
        f"From: {subject} <{subject}@>\r\nSubject: {subject}\r\n"
        f"Content-Type: {ctype}; charset={charset}; boundary={subject}\r\n"
        f"Content-Transfer-Encoding: {subject[:10]}\r\n\r\n--{subject}\r\n{subject}"
    ).encode("utf-8", "surrogatepass")
    parse_message(raw)


@pytest.fixture
def offline_mailbox(db, org, make_user):
    owner = make_user("mailbot", org["county_a1"], "agent")
    return Mailbox.objects.create(
        name="离线",
        host="127.0.0.1",
        port=1,
        use_ssl=False,
        username="u",
        password="p",
        accepting_unit=org["county_a1"],
        owner=owner,
    )


def test_nul_bytes_and_surrogates_are_stored_cleanly(offline_mailbox):
    raw = (
        b"From: x@example.cn\r\nSubject: a\x00b \xff\r\nMessage-ID: <nul@x>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nline\x00one \xed\xa0\x80\r\n"
    )
    record, created = mail_take_in(mailbox=offline_mailbox, uid=1, raw=raw)

    assert created and record.kind == MailKind.NEW
    order = WorkOrder.objects.get()
    assert "\x00" not in order.title + order.description
    assert order.description.startswith("lineone")


def test_taking_in_the_same_message_again_changes_nothing(offline_mailbox):
    raw = make_mail(subject="重复")
    first, created = mail_take_in(mailbox=offline_mailbox, uid=1, raw=raw)
    again, created_again = mail_take_in(mailbox=offline_mailbox, uid=2, raw=raw)

    assert (created, created_again) == (True, False)
    assert again == first
    assert WorkOrder.objects.count() == 1
    offline_mailbox.refresh_from_db()
    assert offline_mailbox.last_uid == 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=600))
def test_any_bytes_are_taken_in_or_recorded_as_failed(offline_mailbox, raw):
    record, _ = mail_take_in(mailbox=offline_mailbox, uid=1, raw=b"From: f@example.cn\r\n" + raw)
    assert record.pk and record.kind in MailKind.values


def test_mailbox_account_must_be_able_to_accept_orders_in_its_unit(org, make_user):
    handler = make_user("h1", org["team_a1"], "handler")
    agent_b = make_user("agent_b", org["county_b1"], "agent")

    with pytest.raises(ValidationError) as no_role:
        Mailbox(
            name="a",
            host="h",
            username="u",
            password="p",
            accepting_unit=org["team_a1"],
            owner=handler,
        ).full_clean()
    assert "owner" in no_role.value.message_dict
    with pytest.raises(ValidationError) as out_of_scope:
        Mailbox(
            name="b",
            host="h",
            username="u",
            password="p",
            accepting_unit=org["county_a1"],
            owner=agent_b,
        ).full_clean()
    assert "accepting_unit" in out_of_scope.value.message_dict
