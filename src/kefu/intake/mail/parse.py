"""Reading one e-mail (邮件解析): raw bytes → a ParsedMail. Pure: no database, no network.

Mail from Chinese customers comes in every encoding a mail client ever used — GB2312 labels
on GBK text, raw 8-bit headers, unknown charsets, broken base64 — and none of it may stop
the poll: every function here tolerates any bytes.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from html.parser import HTMLParser

log = logging.getLogger(__name__)

BODY_MAX = 100_000  # characters of text kept on the intake record
PART_MAX = 2 * 1024 * 1024  # bytes of one text part decoded
MESSAGE_ID_MAX = 255

# Labels mail clients put on text that is really in a wider encoding: Outlook and Foxmail
# write "gb2312" on GBK text, and GB18030 is a superset of both.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "us-ascii": "utf-8",  # 8-bit text labelled ASCII is UTF-8 more often than anything
    "ascii": "utf-8",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSGID = re.compile(r"<[^<>\s]{1,500}>")
# An order number: the accept date and the id, "20261123" + "00000042" (16+ digits).
_ORDER_NUMBER = re.compile(r"(?<!\d)(20\d{14,18})(?!\d)")
_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply")


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = str(charset).strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown, or not even a name ("gb\x002312")
        return None


def clean_text(text: str) -> str:
    """Text safe to store: no lone surrogates, no NUL (PostgreSQL refuses it), no controls."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, else UTF-8, else GB18030; never raises.

    A declared charset that decodes is trusted; one Python does not know, or that does not
    fit the bytes, falls back to the two encodings Chinese mail actually uses.
    """
    tried = []
    for name in (_codec(charset), "utf-8", "gb18030"):
        if name and name not in tried:
            tried.append(name)
            try:
                return data.decode(name)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode(tried[0], "replace")


def _unescape_8bit(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes; decode them as text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


def _unencoded(chunk: bytes) -> str:
    """decode_header hands back the text between encoded words as raw-unicode-escape bytes;
    a literal backslash-u in it cannot be read that way, and then Latin-1 keeps it."""
    try:
        return chunk.decode("raw-unicode-escape")
    except UnicodeDecodeError:
        return chunk.decode("latin-1")


def decode_header_value(value: str | None) -> str:
    """RFC 2047 encoded words decoded, whatever their charset; one line of clean text."""
    if not value:
        return ""
    value = _unescape_8bit(str(value))
    try:
        parts = decode_header(value)
    except Exception:  # a malformed encoded word: keep the header as written
        parts = [(value, None)]
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            chunk = decode_bytes(chunk, charset) if charset else _unencoded(chunk)
        out.append(chunk)
    return " ".join(clean_text("".join(out)).split())


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "head", "title"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML body: tags, scripts and styles dropped, entities resolved."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # HTMLParser copes with almost anything; if not, keep what it read
        log.info("intake: HTML body not fully read: %s", exc)
    return tidy("".join(parser.parts))


def tidy(text: str) -> str:
    """Trailing spaces off, runs of blank lines down to one, ends stripped."""
    lines = [line.rstrip() for line in clean_text(text).split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


_QUOTE_STARTS = (
    re.compile(r"^-{2,}\s*(原始邮件|Original Message|Forwarded message|转发的邮件)", re.I),
    re.compile(r"^(On .{0,200} wrote:|在 .{0,200}写道[:：]?)$"),
    re.compile(r"^(From|发件人)\s*[:：]"),
    re.compile(r"^_{10,}$"),
)


def strip_quoted(text: str) -> str:
    """A reply without the message it quotes: the note should hold what is new.

    Cuts at the first quote header mail clients write ("-----原始邮件-----", "On … wrote:",
    "发件人：") and drops ">"-quoted lines. When that would leave nothing, the text is kept.
    """
    kept: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if any(p.match(stripped) for p in _QUOTE_STARTS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return tidy("\n".join(kept)) or text


@dataclass
class MailFile:
    """One attachment's bytes, as the sender named and typed it (neither trusted)."""

    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    references: list[str] = field(default_factory=list)
    from_address: str = ""
    from_name: str = ""
    subject: str = ""
    body: str = ""
    attachments: list[str] = field(default_factory=list)
    files: list[MailFile] = field(default_factory=list)
    is_automatic: bool = False
    truncated: bool = False


def _raw_header(msg: Message, name: str) -> str:
    """A header as written. Read through raw_items: the policy's structured parsers can
    raise on malformed values, and this must not."""
    lowered = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lowered:
            return str(value)
    return ""


def _raw_headers(msg: Message, name: str) -> list[str]:
    lowered = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == lowered]


def message_key(raw: bytes) -> str:
    """The dedupe key: the Message-ID, or (none, unusable or too long) a digest of the bytes,
    which is just as stable when the same message is read again."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        found = _MSGID.findall(_unescape_8bit(_raw_header(headers, "Message-ID")))
    except Exception:
        found = []
    if found and len(found[0]) <= MESSAGE_ID_MAX:
        return clean_text(found[0])
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    # Long enough to keep a long name's extension; the stored name is shortened keeping it.
    return decode_header_value(name)[:1000]


def _text_of(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(payload[:PART_MAX], charset)


def _file_of(part: Message, name: str, ctype: str) -> MailFile:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        payload = b""
    return MailFile(name=clean_text(name), content_type=ctype, data=payload)


def _body_and_attachments(msg: Message) -> tuple[str, list[str], list[MailFile]]:
    """Inline text/plain parts; failing those, HTML parts as text. Everything else is an
    attachment: its name noted, its bytes kept for the order."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    files: list[MailFile] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            disposition = part.get_content_disposition()
        except Exception:
            disposition = None
        ctype = part.get_content_type()
        name = _filename(part)
        if disposition == "attachment" or (name and disposition != "inline"):
            attachments.append(clean_text(name or ctype)[:200])
            files.append(_file_of(part, name, ctype))
            continue
        if ctype == "text/plain":
            plain.append(_text_of(part))
        elif ctype == "text/html":
            html.append(_text_of(part))
        else:
            attachments.append(clean_text(name or ctype)[:200])
            files.append(_file_of(part, name, ctype))
    if plain:
        return tidy("\n\n".join(plain)), attachments, files
    return "\n\n".join(html_to_text(h) for h in html).strip(), attachments, files


def _is_automatic(msg: Message, address: str) -> bool:
    """Auto-replies, bounces and bulk mail (RFC 3834): answering them would start a loop."""
    auto = _raw_header(msg, "Auto-Submitted").strip().lower()
    precedence = _raw_header(msg, "Precedence").strip().lower()
    local = address.split("@", 1)[0].lower()
    try:
        is_report = msg.get_content_type() == "multipart/report"
    except Exception:
        is_report = False
    return (
        (auto not in ("", "no"))
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or local in _AUTOMATIC_SENDERS
        or is_report
    )


def parse_message(raw: bytes, *, truncated: bool = False) -> ParsedMail:
    """Everything intake needs from one message. Tolerates any bytes."""
    try:
        msg = message_from_bytes(raw, policy=policy.default)
    except Exception:
        # The modern policy parses some headers while reading and has raised on malformed
        # ones (IndexError deep in its header parser); compat32 keeps headers as strings.
        msg = message_from_bytes(raw, policy=policy.compat32)
    name, address = parseaddr(_unescape_8bit(_raw_header(msg, "From")))
    address = clean_text(address).strip()
    references: list[str] = []
    for header in ("In-Reply-To", "References"):
        for value in _raw_headers(msg, header):
            references.extend(_MSGID.findall(_unescape_8bit(value)))
    try:
        body, attachments, files = _body_and_attachments(msg)
    except Exception:  # the same, for Content-* headers read while walking the parts
        body, attachments, files = _body_and_attachments(
            message_from_bytes(raw, policy=policy.compat32)
        )
    if truncated and files:
        # The message was cut at FETCH_MAX: its last attachment is incomplete.
        files = files[:-1]
    return ParsedMail(
        message_id=message_key(raw),
        references=[r for r in references if len(r) <= MESSAGE_ID_MAX][-50:],
        from_address=address[:254],
        from_name=decode_header_value(name)[:100],
        subject=decode_header_value(_raw_header(msg, "Subject")),
        body=body[:BODY_MAX],
        attachments=attachments[:50],
        files=files[:50],
        is_automatic=_is_automatic(msg, address),
        truncated=truncated,
    )


def header_summary(raw: bytes) -> tuple[str, str]:
    """(subject, sender address) from the headers alone, for the record of a message that
    could not be taken in; empty strings when even the headers cannot be read."""
    try:
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        subject = decode_header_value(_raw_header(msg, "Subject"))
        address = clean_text(parseaddr(_unescape_8bit(_raw_header(msg, "From")))[1])
    except Exception:
        return "", ""
    return subject, address


def order_numbers(text: str) -> list[str]:
    """The work-order numbers written in a text (a reply's subject), in order."""
    return _ORDER_NUMBER.findall(text)


def is_message_id(value: str) -> bool:
    """A Message-ID as mail headers carry it ("<…@…>"), not a digest key."""
    return _MSGID.fullmatch(value) is not None
