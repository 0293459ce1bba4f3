"""E-mail intake 邮件受理: a mailbox polled over IMAP turns messages into work orders.

Three layers, top to bottom:

* reading a message (`parse_message`): pure, no database. Mail from Chinese customers comes
  in every encoding a mail client ever used — GB2312 labels on GBK text, raw 8-bit headers,
  unknown charsets, broken base64 — and none of it may stop the poll.
* the IMAP folder (`ImapFolder`): imaplib with timeouts; messages are read with BODY.PEEK so
  that nothing is marked \\Seen before the database has the order.
* the writes (`mail_take_in`, `mailbox_poll`, `mailboxes_poll`): one transaction per message.
  A message becomes a new order, or a note on the order it answers (In-Reply-To/References
  naming a message taken in before, or the order number in the subject). (mailbox,
  Message-ID) is unique, so a message read twice never makes two orders; a message that
  cannot be taken in is recorded with its error, flagged in the mailbox, and not retried.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.customers.models import ContactKind, Customer, CustomerContact
from kefu.customers.selectors import customers_visible
from kefu.intake.models import Mailbox, MailKind, MailMessage
from kefu.notify.models import Channel as NotifyChannel
from kefu.notify.services import notify
from kefu.org.scope import scope_for
from kefu.workorders.attachments import attachment_store
from kefu.workorders.models import Channel, WorkOrder
from kefu.workorders.services import (
    TEXT_MAX,
    TITLE_MAX,
    capacities,
    work_order_act,
    work_order_create,
)
from kefu.workorders.transitions import Who

log = logging.getLogger(__name__)

BODY_MAX = 100_000  # characters of text kept on the intake record
FETCH_MAX = 10 * 1024 * 1024  # bytes read of one message; the rest is attachments
PART_MAX = 2 * 1024 * 1024  # bytes of one text part decoded
POLL_BATCH = 200  # messages per poll; a backlog continues at the next minute
LEASE = timedelta(minutes=10)  # a poll holds its mailbox this long, renewed per message
IMAP_TIMEOUT = 30  # seconds per network operation
MESSAGE_ID_MAX = 255

# --- reading a message (pure) -------------------------------------------------------------

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


# --- the IMAP folder ---------------------------------------------------------------------


class ImapFolder:
    """One selected IMAP folder. Network and protocol failures raise imaplib.IMAP4.error
    or OSError; the poll records them on the mailbox and tries again next time."""

    def __init__(self, *, host, port, use_ssl, username, password, folder, timeout=IMAP_TIMEOUT):
        self.args = (host, port, use_ssl, username, password, folder, timeout)
        self.conn: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def __enter__(self) -> ImapFolder:
        host, port, use_ssl, username, password, folder, timeout = self.args
        if use_ssl:
            context = ssl.create_default_context()
            self.conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        else:
            self.conn = imaplib.IMAP4(host, port, timeout=timeout)
        try:
            self.conn.login(username, password)
            escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
            typ, data = self.conn.select(f'"{escaped}"')
            if typ != "OK":
                raise imaplib.IMAP4.error(f"SELECT {folder}: {data!r}")
            _, values = self.conn.response("UIDVALIDITY")
            self.uidvalidity = int(values[0]) if values and values[0] else 0
        except BaseException:
            self.__exit__()  # a refused login must not leave the socket open
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.conn is None:
            return
        # Best effort: the work is committed; a server gone by now changes nothing.
        with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
            if self.conn.state == "SELECTED":
                self.conn.close()
        with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
            self.conn.logout()

    def uids_after(self, last_uid: int) -> list[int]:
        typ, data = self.conn.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID SEARCH: {data!r}")
        # "n:*" always matches the highest UID, even one below n.
        uids = [int(u) for u in (data[0] or b"").split() if u.isdigit()]
        return sorted(u for u in uids if u > last_uid)

    def fetch(self, uid: int, limit: int) -> tuple[bytes, int] | None:
        """The message's first `limit` bytes and its full size; None if it is gone.
        BODY.PEEK leaves \\Seen alone: the flag is set once the order is committed."""
        typ, data = self.conn.uid("FETCH", str(uid), f"(RFC822.SIZE BODY.PEEK[]<0.{limit}>)")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH {uid}: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                size = re.search(rb"RFC822\.SIZE (\d+)", item[0])
                raw = item[1] or b""
                return raw, int(size.group(1)) if size else len(raw)
        return None

    def add_flags(self, uid: int, flags: str) -> None:
        self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", f"({flags})")


# --- the writes ----------------------------------------------------------------------------


@dataclass
class PollReport:
    mailbox: str
    new: int = 0
    replies: int = 0
    ignored: int = 0
    failed: int = 0
    duplicates: int = 0
    busy: bool = False
    error: str = ""

    def count(self, kind: str) -> None:
        attr = {
            MailKind.NEW: "new",
            MailKind.REPLY: "replies",
            MailKind.IGNORED: "ignored",
            MailKind.FAILED: "failed",
        }[kind]
        setattr(self, attr, getattr(self, attr) + 1)


class MailRejected(KefuError):
    code = "mail_rejected"


def _sees(owner, order: WorkOrder) -> bool:
    return Who.VIEWER in capacities(owner, order)


def _thread_order(mailbox: Mailbox, mail: ParsedMail) -> WorkOrder | None:
    """The order this message answers: one named in In-Reply-To/References, else one whose
    number is in the subject — and only an order the mailbox's account may see."""
    if mail.references:
        known = (
            MailMessage.objects.filter(message_id__in=mail.references, work_order__isnull=False)
            .select_related("work_order")
            .order_by("-id")
        )
        for record in known:
            if _sees(mailbox.owner, record.work_order):
                return record.work_order
    numbers = _ORDER_NUMBER.findall(mail.subject)
    if numbers:
        for order in WorkOrder.objects.filter(number__in=numbers[:5]).order_by("-id"):
            if _sees(mailbox.owner, order):
                return order
    return None


def _customer_for(mailbox: Mailbox, address: str):
    """The customer whose archive lists this e-mail address, if exactly one in the
    account's scope does; an address shared by several is left for the agent to decide."""
    ids = set(
        CustomerContact.objects.filter(
            kind=ContactKind.EMAIL,
            search_key=address.lower(),
            customer__in=customers_visible(mailbox.owner),
        ).values_list("customer_id", flat=True)[:2]
    )
    if len(ids) != 1:
        return None
    customer = Customer.objects.select_related("org_unit").get(pk=ids.pop())
    return customer if scope_for(mailbox.owner).covers_unit(customer.org_unit) else None


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = _("… (text shortened; the full e-mail is kept in the intake record)")
    return text[: limit - len(marker) - 1].rstrip() + "\n" + marker


def _attachment_line(mail: ParsedMail) -> str:
    if not mail.attachments:
        return ""
    names = "、".join(mail.attachments)
    if len(names) > 1000:
        names = names[:1000] + "…"
    return _("Attachments: %(names)s") % {"names": names}


def _keep_files(mailbox: Mailbox, order: WorkOrder, mail: ParsedMail) -> None:
    """The message's attachments, kept with the order (too large ones noted instead)."""
    for item in mail.files:
        attachment_store(
            order=order,
            name=item.name,
            content_type=item.content_type,
            data=item.data,
            actor=mailbox.owner,
            message_id=mail.message_id,
        )


def _truncation_line(mail: ParsedMail) -> str:
    if not mail.truncated:
        return ""
    return _("The e-mail is larger than %(mb)d MB; only its beginning was read.") % {
        "mb": FETCH_MAX // (1024 * 1024)
    }


def _sender(mail: ParsedMail) -> str:
    if mail.from_name:
        return f"{mail.from_name} <{mail.from_address}>"
    return mail.from_address


def _is_own(mailbox: Mailbox, address: str) -> bool:
    own = {mailbox.username.lower()}
    sender = settings.KEFU_MAIL_FROM
    own.add(parseaddr(sender)[1].lower())
    return address.lower() in own


def _add_note(mailbox: Mailbox, order: WorkOrder, mail: ParsedMail) -> None:
    head = _("E-mail from %(sender)s: %(subject)s") % {
        "sender": _sender(mail)[:400],
        "subject": (mail.subject or _("(no subject)"))[:TITLE_MAX],
    }
    tail = "\n".join(x for x in (_attachment_line(mail), _truncation_line(mail)) if x)
    body = strip_quoted(mail.body)
    room = TEXT_MAX - len(head) - len(tail) - 4
    note = "\n\n".join(x for x in (head, _shorten(body, room) if body else "", tail) if x)
    # The note is an order event like any other: the owner of record, when someone other
    # than the mailbox account, hears of it through the work-order notifications, and so
    # does the handler (or the handling unit), as it comes from the customer.
    work_order_act(
        actor=mailbox.owner,
        order=order,
        action="note",
        data={"note": note, "from_customer": True},
    )


def _create_order(mailbox: Mailbox, mail: ParsedMail) -> WorkOrder:
    tail = "\n".join(x for x in (_attachment_line(mail), _truncation_line(mail)) if x)
    room = TEXT_MAX - len(tail) - 2
    description = "\n\n".join(x for x in (_shorten(mail.body, room), tail) if x)
    return work_order_create(
        actor=mailbox.owner,
        order_type=mailbox.order_type,
        business_line=mailbox.business_line,
        channel=Channel.EMAIL,
        title=(mail.subject or _("(no subject)"))[:TITLE_MAX],
        description=description,
        customer=_customer_for(mailbox, mail.from_address),
        contact_name=mail.from_name[:50],
        caller_phone="",
        area_unit=mailbox.accepting_unit,
    )


def _acknowledge(mailbox: Mailbox, order: WorkOrder, record: MailMessage) -> str:
    """The “order accepted” e-mail to the sender, through the notify outbox (sent after
    commit, retried there). Returns an error text instead of failing the intake: a missing
    template must not keep customers' mail out of the queues."""
    order.refresh_from_db()
    try:
        with transaction.atomic():
            notify(
                template="wo_created",
                context={
                    "order": {
                        "number": order.number,
                        "title": order.title,
                        "type_name": order.order_type.name,
                    },
                    "due": order.due_at,
                },
                addresses=[record.from_address],
                channel=NotifyChannel.EMAIL,
                dedupe_key=f"intake-ack:{record.pk}",
            )
    except Exception as exc:  # the order stands; the error is recorded on the intake row
        log.warning("intake: acknowledgement for %s not written: %s", order.number, exc)
        return _("Acknowledgement not sent: %(error)s") % {"error": _error_text(exc)}
    return ""


def _advance(mailbox: Mailbox, uid: int) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(
        last_uid=uid, polling_until=timezone.now() + LEASE
    )


def _take_in(mailbox: Mailbox, uid: int, raw: bytes, key: str, truncated: bool) -> MailMessage:
    mail = parse_message(raw, truncated=truncated)
    mail.message_id = key
    try:
        validate_email(mail.from_address)
    except ValidationError:
        raise MailRejected(_("The sender address is missing or malformed.")) from None
    record = MailMessage(
        mailbox=mailbox,
        message_id=key,
        uid=uid,
        from_address=mail.from_address,
        from_name=mail.from_name,
        subject=mail.subject[:255],
        body=mail.body,
        attachments=mail.attachments,
        size=len(raw),
    )
    if mail.is_automatic or _is_own(mailbox, mail.from_address):
        record.kind = MailKind.IGNORED
        record.error = _("Automatic or own mail (auto-reply, bounce, bulk): not taken in.")
    elif (order := _thread_order(mailbox, mail)) is not None:
        _add_note(mailbox, order, mail)
        record.kind, record.work_order = MailKind.REPLY, order
        _keep_files(mailbox, order, mail)
    else:
        record.kind = MailKind.NEW
        record.work_order = _create_order(mailbox, mail)
        _keep_files(mailbox, record.work_order, mail)
    record.save()
    if record.kind == MailKind.NEW and mailbox.send_acknowledgement:
        record.error = _acknowledge(mailbox, record.work_order, record)
        if record.error:
            record.save(update_fields=["error"])
    _advance(mailbox, uid)
    return record


def _error_text(exc: Exception) -> str:
    if isinstance(exc, KefuError):
        return str(exc.message)
    return f"{type(exc).__name__}: {exc}"[:2000]


def _failed_record(mailbox, uid, raw, key, exc) -> MailMessage:
    try:
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        subject = decode_header_value(_raw_header(msg, "Subject"))
        address = clean_text(parseaddr(_unescape_8bit(_raw_header(msg, "From")))[1])
    except Exception:
        subject = address = ""
    return MailMessage.objects.create(
        mailbox=mailbox,
        message_id=key,
        uid=uid,
        from_address=address[:254],
        subject=subject[:255],
        kind=MailKind.FAILED,
        size=len(raw),
        error=_error_text(exc),
    )


def mail_take_in(
    *, mailbox: Mailbox, uid: int, raw: bytes, truncated: bool = False
) -> tuple[MailMessage, bool]:
    """Take one message in: a new order, a note on the order it answers, or (automatic
    mail) nothing. Returns the intake record and whether it is new; a message taken in
    before returns its first record and changes nothing.

    Whatever in the message defeats intake is recorded on a FAILED record and the poll
    moves on; only database trouble propagates (the poll then stops and tries again).
    """
    key = message_key(raw)
    existing = MailMessage.objects.filter(mailbox=mailbox, message_id=key).first()
    if existing is not None:
        _advance(mailbox, uid)
        return existing, False
    try:
        with transaction.atomic():
            return _take_in(mailbox, uid, raw, key, truncated), True
    except (OperationalError, InterfaceError):
        raise  # the database is unwell, not the message: stop; the next poll retries
    except Exception as exc:  # hostile input must not stop the poll: record and skip
        error = exc
    log.warning("intake: message uid %s of %s not taken in: %s", uid, mailbox, error)
    try:
        with transaction.atomic():
            record = _failed_record(mailbox, uid, raw, key, error)
            _advance(mailbox, uid)
    except IntegrityError:  # another poller took it in meanwhile
        return MailMessage.objects.get(mailbox=mailbox, message_id=key), False
    return record, True


def _claim(mailbox: Mailbox) -> bool:
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(polling_until__isnull=True) | Q(polling_until__lt=now))
        .update(polling_until=now + LEASE)
    )


def _config_problem(mailbox: Mailbox) -> str:
    """Why no order could be taken in from this mailbox at all. Checked before reading, so
    a broken configuration leaves the mail waiting on the server instead of marking every
    message failed."""
    if not mailbox.owner.is_active:
        return _("The account orders are accepted as is inactive.")
    if not mailbox.order_type.is_active:
        return _("The mailbox's order type is inactive.")
    try:
        mailbox.clean()
    except ValidationError as exc:
        return "; ".join(exc.messages)
    return ""


def mailbox_poll(*, mailbox: Mailbox, limit: int = POLL_BATCH) -> PollReport:
    """Read a mailbox's new messages and take each in, then flag it on the server:
    \\Seen once its order is committed, \\Flagged (left unread) when it failed, so a
    person looking at the mailbox sees what needs a hand.

    Safe to run at any time and twice at once: a concurrent poll of the same mailbox
    returns at once (busy), and a message is never taken in twice.
    """
    report = PollReport(mailbox=mailbox.name)
    if problem := _config_problem(mailbox):
        report.error = problem
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=timezone.now(), last_error=problem
        )
        return report
    if not _claim(mailbox):
        report.busy = True
        return report
    mailbox.uidvalidity, mailbox.last_uid = Mailbox.objects.values_list(
        "uidvalidity", "last_uid"
    ).get(pk=mailbox.pk)
    try:
        with (
            translation.override(settings.LANGUAGE_CODE),
            ImapFolder(
                host=mailbox.host,
                port=mailbox.port,
                use_ssl=mailbox.use_ssl,
                username=mailbox.username,
                password=mailbox.password,
                folder=mailbox.folder,
            ) as folder,
        ):
            if folder.uidvalidity != mailbox.uidvalidity:
                # The server renumbered the folder: start over; Message-IDs prevent repeats.
                Mailbox.objects.filter(pk=mailbox.pk).update(
                    uidvalidity=folder.uidvalidity, last_uid=0
                )
                mailbox.uidvalidity, mailbox.last_uid = folder.uidvalidity, 0
            for uid in folder.uids_after(mailbox.last_uid)[:limit]:
                fetched = folder.fetch(uid, FETCH_MAX)
                if fetched is None:  # expunged since the search
                    _advance(mailbox, uid)
                    continue
                raw, size = fetched
                record, created = mail_take_in(
                    mailbox=mailbox, uid=uid, raw=raw, truncated=size > len(raw)
                )
                if created:
                    report.count(record.kind)
                else:
                    report.duplicates += 1
                folder.add_flags(uid, r"\Flagged" if record.kind == MailKind.FAILED else r"\Seen")
    except (imaplib.IMAP4.error, OSError, EOFError, UnicodeError, ValueError) as exc:
        report.error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("intake: polling %s failed: %s", mailbox, report.error)
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            polling_until=None, last_polled_at=timezone.now(), last_error=report.error
        )
    return report


@transaction.atomic
def mail_retry(*, records) -> int:
    """Take failed messages in again at the next poll (after the cause is fixed): their
    records go, and the mailbox reads again from the earliest of them. Messages after it
    that were taken in are recognised and skipped. Returns how many will be retried."""
    failed = list(records.filter(kind=MailKind.FAILED))
    for record in failed:
        Mailbox.objects.filter(pk=record.mailbox_id, last_uid__gte=record.uid).update(
            last_uid=record.uid - 1
        )
        record.delete()
    return len(failed)


def mailboxes_poll(*, name: str | None = None) -> list[PollReport]:
    """Poll every active mailbox, or the one named (active or not, to try it out)."""
    if name is not None:
        mailboxes = Mailbox.objects.filter(name=name)
    else:
        mailboxes = Mailbox.objects.filter(is_active=True)
    mailboxes = mailboxes.select_related("owner", "accepting_unit", "order_type", "business_line")
    return [mailbox_poll(mailbox=m) for m in mailboxes]


# --- answering in the thread -------------------------------------------------------------


@dataclass(frozen=True)
class MailThread:
    """Where and how a reply to a mailed-in order goes: to the customer's address, in the
    thread of their mail (In-Reply-To the latest, References all of them), with answers
    directed back to the intake mailbox."""

    address: str
    subject: str
    headers: dict[str, str]


def reply_thread(order: WorkOrder) -> MailThread | None:
    """The mail thread of a mailed-in order, None if no customer mail was taken in for it."""
    records = list(
        MailMessage.objects.filter(work_order=order, kind__in=(MailKind.NEW, MailKind.REPLY))
        .select_related("mailbox")
        .order_by("id")
    )
    if not records:
        return None
    latest = records[-1]
    ids = [r.message_id for r in records if _MSGID.fullmatch(r.message_id)]
    headers: dict[str, str] = {}
    if ids:
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(ids[-20:])
    if "@" in latest.mailbox.username:
        headers["Reply-To"] = latest.mailbox.username
    subject = records[0].subject or order.title
    return MailThread(address=latest.from_address, subject=subject, headers=headers)
