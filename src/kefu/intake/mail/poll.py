"""Polling the intake mailboxes (邮箱轮询): read each new message from the IMAP folder, hand
it to the services, then flag it on the server.

A poll holds its mailbox's lease, so two polls of one mailbox never run at once; a network
or protocol failure is recorded on the mailbox and the next poll starts where it stopped.
"""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.intake.mail import imap
from kefu.intake.mail.services import mail_take_in, mailbox_advance, mailbox_claim
from kefu.intake.models import Mailbox, MailKind

log = logging.getLogger(__name__)

POLL_BATCH = 200  # messages per poll; a backlog continues at the next minute


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
    if not mailbox_claim(mailbox=mailbox):
        report.busy = True
        return report
    mailbox.uidvalidity, mailbox.last_uid = Mailbox.objects.values_list(
        "uidvalidity", "last_uid"
    ).get(pk=mailbox.pk)
    try:
        with (
            translation.override(settings.LANGUAGE_CODE),
            imap.ImapFolder(
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
                fetched = folder.fetch(uid, imap.FETCH_MAX)
                if fetched is None:  # expunged since the search
                    mailbox_advance(mailbox=mailbox, uid=uid)
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


def mailboxes_poll(*, name: str | None = None) -> list[PollReport]:
    """Poll every active mailbox, or the one named (active or not, to try it out)."""
    if name is not None:
        mailboxes = Mailbox.objects.filter(name=name)
    else:
        mailboxes = Mailbox.objects.filter(is_active=True)
    mailboxes = mailboxes.select_related("owner", "accepting_unit", "order_type", "business_line")
    return [mailbox_poll(mailbox=m) for m in mailboxes]
