"""Test messages as mail clients write them: encoded words, base64 bodies, GBK labels."""

from __future__ import annotations

import base64
import itertools

_ids = itertools.count(1)


def encoded_word(text: str, charset: str = "utf-8", label: str | None = None) -> str:
    return f"=?{label or charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def make_mail(
    *,
    subject: str | None = "测试邮件",
    body: str = "您好",
    charset: str = "utf-8",
    label: str | None = None,
    sender: str = "张三",
    address: str = "zhang@example.cn",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A single-part text/plain message, subject, sender name and body encoded in `charset`
    and declared as `label` (default: the same)."""
    message_id = message_id or f"<m{next(_ids)}.kefu-test@example.cn>"
    lines = [
        f"From: {encoded_word(sender, charset, label)} <{address}>"
        if sender
        else f"From: {address}",
        "To: kefu@example.com",
        f"Message-ID: {message_id}",
        "Date: Mon, 23 Nov 2026 09:30:00 +0800",
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={label or charset}",
        "Content-Transfer-Encoding: base64",
    ]
    if subject is not None:
        lines.insert(1, f"Subject: {encoded_word(subject, charset, label)}")
    for name, value in (headers or {}).items():
        lines.insert(1, f"{name}: {value}")
    encoded = base64.encodebytes(body.encode(charset)).decode().replace("\n", "\r\n")
    return ("\r\n".join(lines) + "\r\n\r\n" + encoded).encode("ascii")


def make_mail_with_files(
    *,
    files: list[tuple[str, str, bytes]],
    subject: str = "投诉材料",
    body: str = "您好，材料见附件。",
    address: str = "zhang@example.cn",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A multipart/mixed message with a text body and one part per (name, type, bytes),
    its file names written the way Python's mail library (and Thunderbird) writes them:
    RFC 2231 for names that are not ASCII."""
    from email import policy
    from email.message import EmailMessage

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = f"张三 <{address}>"
    msg["To"] = "kefu@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<m{next(_ids)}.kefu-test@example.cn>"
    msg["Date"] = "Mon, 23 Nov 2026 09:30:00 +0800"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
