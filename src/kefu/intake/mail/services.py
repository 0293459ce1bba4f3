"""The writes of e-mail intake (邮件受理): a parsed message becomes a new work order or a
note on the order it answers, one transaction per message.

A reply is recognised by In-Reply-To/References naming a message taken in before, or by
the order number in its subject. (mailbox, Message-ID) is unique, so a message read twice
never makes two orders; a message that cannot be taken in is recorded with its error and
not retried until an administrator asks (`mail_retry`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.customers.models import ContactKind, Customer, CustomerContact
from kefu.customers.selectors import customers_visible
from kefu.intake.mail import imap
from kefu.intake.mail.parse import (
    ParsedMail,
    header_summary,
    message_key,
    order_numbers,
    parse_message,
    strip_quoted,
)
from kefu.intake.models import Mailbox, MailKind, MailMessage
from kefu.notify.models import Channel as NotifyChannel
from kefu.notify.services import notify
from kefu.org.scope import scope_for
from kefu.workorders.actions import TEXT_MAX, TITLE_MAX, work_order_note
from kefu.workorders.attachments import attachment_store, attachments_kept_on_commit
from kefu.workorders.capacity import capacities
from kefu.workorders.models import Channel, WorkOrder
from kefu.workorders.services import work_order_create
from kefu.workorders.transitions import Who

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # a poll holds its mailbox this long, renewed per message


# --- the poll lease ---------------------------------------------------------------------


def mailbox_claim(*, mailbox: Mailbox) -> bool:
    """Take the mailbox's poll lease; False while another poll holds it."""
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(polling_until__isnull=True) | Q(polling_until__lt=now))
        .update(polling_until=now + LEASE)
    )


def mailbox_advance(*, mailbox: Mailbox, uid: int) -> None:
    """The mailbox is read up to `uid`; the poll's lease is renewed with each message."""
    Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(
        last_uid=uid, polling_until=timezone.now() + LEASE
    )


# --- taking one message in ---------------------------------------------------------------


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
    numbers = order_numbers(mail.subject)
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
        "mb": imap.FETCH_MAX // (1024 * 1024)
    }


def _sender(mail: ParsedMail) -> str:
    if mail.from_name:
        return f"{mail.from_name} <{mail.from_address}>"
    return mail.from_address


def _is_own(mailbox: Mailbox, address: str) -> bool:
    own = {mailbox.username.lower()}
    sender = settings.KEFU_MAIL_FROM or ""
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
    work_order_note(actor=mailbox.owner, order=order, note=note, from_customer=True)


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
    mailbox_advance(mailbox=mailbox, uid=uid)
    return record


def _error_text(exc: Exception) -> str:
    if isinstance(exc, KefuError):
        return str(exc.message)
    return f"{type(exc).__name__}: {exc}"[:2000]


def _failed_record(mailbox, uid, raw, key, exc) -> MailMessage:
    subject, address = header_summary(raw)
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
        mailbox_advance(mailbox=mailbox, uid=uid)
        return existing, False
    try:
        # An intake rolled back leaves none of the attachment files it wrote.
        with attachments_kept_on_commit(), transaction.atomic():
            return _take_in(mailbox, uid, raw, key, truncated), True
    except (OperationalError, InterfaceError):
        raise  # the database is unwell, not the message: stop; the next poll retries
    except Exception as exc:  # hostile input must not stop the poll: record and skip
        error = exc
    log.warning("intake: message uid %s of %s not taken in: %s", uid, mailbox, error)
    try:
        with transaction.atomic():
            record = _failed_record(mailbox, uid, raw, key, error)
            mailbox_advance(mailbox=mailbox, uid=uid)
    except IntegrityError:  # another poller took it in meanwhile
        return MailMessage.objects.get(mailbox=mailbox, message_id=key), False
    return record, True


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
