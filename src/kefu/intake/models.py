"""Intake channels 受理渠道: mailboxes polled over IMAP and the messages taken from them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.org.models import OrgUnit
from kefu.workorders.models import BusinessLine, WorkOrder, WorkOrderType


def default_order_type() -> int | None:
    """New mail is a consultation (咨询) until an agent says otherwise."""
    return WorkOrderType.objects.filter(code="consultation").values_list("pk", flat=True).first()


class Mailbox(models.Model):
    """受理邮箱: an IMAP mailbox whose mail becomes work orders.

    Orders are accepted in the name of `owner` (a service account holding the agent role),
    so they carry an owner of record (首问负责制) and fall into `accepting_unit`'s scope.
    `password` is kept as entered because IMAP needs it in clear: treat the database and
    its backups as secrets, and give the mailbox an account that can do nothing else.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    use_ssl = models.BooleanField(_("SSL/TLS"), default=True)
    username = models.CharField(_("user name"), max_length=200)
    password = models.CharField(
        _("password"),
        max_length=200,
        help_text=_("Stored as entered (IMAP needs it): a secret, like the database itself."),
    )
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    order_type = models.ForeignKey(
        WorkOrderType,
        verbose_name=_("order type"),
        on_delete=models.PROTECT,
        default=default_order_type,
        related_name="+",
    )
    business_line = models.ForeignKey(
        BusinessLine,
        verbose_name=_("business line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepting_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("accepting unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Orders from this mailbox belong to this unit's area."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted as"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The staff account orders are accepted under; it needs the agent role with a "
            "scope covering the accepting unit."
        ),
    )
    send_acknowledgement = models.BooleanField(
        _("acknowledge by e-mail"),
        default=False,
        help_text=_("Send the sender the “order accepted” notice (template wo_created)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Poll state. IMAP UIDs only grow within one UIDVALIDITY; when the server renumbers the
    # folder the poll starts over and Message-ID dedupe keeps old mail from coming in twice.
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), default=0, editable=False)
    last_uid = models.BigIntegerField(_("last UID taken"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, editable=False)
    last_error = models.TextField(_("last poll error"), blank=True, editable=False)
    # A poll in progress holds this lease, so the minute task and `kefu intake poll` never
    # read one folder at once; a crashed poller's lease simply runs out.
    polling_until = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("intake mailbox")
        verbose_name_plural = _("intake mailboxes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from kefu.org.scope import scope_for

        if not self.owner_id or not self.accepting_unit_id:
            return
        if not self.owner.has_perm("workorders.add_workorder"):
            raise ValidationError(
                {"owner": _("This account may not accept work orders (give it the agent role).")}
            )
        if not scope_for(self.owner).covers_unit(self.accepting_unit):
            message = _("Outside the data scope of the account orders are accepted as.")
            raise ValidationError({"accepting_unit": message})


class MailKind(models.TextChoices):
    NEW = "new", _("New order")  # 新建工单
    REPLY = "reply", _("Added to an order")  # 追加到工单
    IGNORED = "ignored", _("Ignored")  # 忽略 (automatic mail: bounces, out-of-office)
    FAILED = "failed", _("Failed")  # 处理失败


class MailMessage(models.Model):
    """One message taken from a mailbox. (mailbox, message_id) is unique: a message seen
    twice — a poll that crashed after the commit but before flagging it \\Seen, or a
    folder renumbered by the server — never makes a second order."""

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.CASCADE, related_name="messages"
    )
    message_id = models.CharField(_("Message-ID"), max_length=255)
    uid = models.BigIntegerField(_("IMAP UID"))
    from_address = models.CharField(_("sender address"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    subject = models.CharField(_("e-mail subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    kind = models.CharField(_("result"), max_length=8, choices=MailKind.choices)
    work_order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_messages",
    )
    body = models.TextField(_("e-mail text"), blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("intake e-mail")
        verbose_name_plural = _("intake e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], name="intake_mail_message_once"
            )
        ]
        indexes = [models.Index(fields=["message_id"], name="intake_mail_msgid")]

    def __str__(self) -> str:
        return self.subject or self.message_id
