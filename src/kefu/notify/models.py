"""Notifications (通知): templates, the outbox of messages, and webhook subscribers.

A Message row is written in the same transaction as the change that causes it; the worker
delivers it afterwards (kefu.notify.tasks). The row is the record: status, attempts and the
next attempt time say everything a sweep needs to pick it up again.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template import Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SUBJECT_MAX = 200

# Plain text, not HTML: an SMS or a mail body must not show "&amp;". The inbox page
# escapes the stored text when it shows it.
TEXT_ENGINE = Engine(autoescape=False)


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")  # 站内信
    CONSOLE = "console", _("Console / log file")  # 控制台/日志文件
    EMAIL = "email", _("E-mail")  # 电子邮件
    WEBHOOK = "webhook", _("Webhook")
    SMS = "sms", _("SMS")  # 短信


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # 待发送
    SENT = "sent", _("Sent")  # 已发送
    FAILED = "failed", _("Failed")  # 发送失败


class NotificationTemplate(models.Model):
    """通知模板: subject and body in Django template syntax, the same for every channel."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive templates send nothing: the notification is switched off."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        # An admin's typo must fail here, on save, not later inside a work-order transaction.
        errors = {}
        for field in ("subject", "body"):
            try:
                TEXT_ENGINE.from_string(getattr(self, field) or "")
            except TemplateSyntaxError as exc:
                errors[field] = _("Template syntax error: %(error)s") % {"error": exc}
        if errors:
            raise ValidationError(errors)


def _new_secret() -> str:
    return secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """A receiver of signed event POSTs (X-Kefu-Signature: sha256=HMAC of the body)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500, help_text=_("http:// or https:// address"))
    secret = models.CharField(
        _("secret"),
        max_length=200,
        default=_new_secret,
        help_text=_("Shared secret for the HMAC-SHA256 signature; give it to the receiver."),
    )
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_('Event codes to receive, e.g. ["wo_created", "sla_breached"]; empty: all.'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        events = self.events or []
        if not isinstance(events, list) or not all(isinstance(e, str) and e for e in events):
            raise ValidationError({"events": _("Enter a list of event codes, or leave empty.")})
        if not self.url.lower().startswith(("http://", "https://")):
            raise ValidationError({"url": _("Only http:// and https:// addresses are allowed.")})

    def subscribes_to(self, event: str) -> bool:
        return not self.events or event in self.events


class Message(models.Model):
    """One outbound message (outbox row). Written only through kefu.notify.services."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
        db_index=False,  # the inbox index below starts with this column
    )
    # E-mail address, phone number or webhook URL, as it was when the message was written.
    address = models.CharField(_("address"), max_length=500, blank=True)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    template = models.CharField(_("template or event"), max_length=50, db_index=True)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX, blank=True)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The caller's key plus channel and recipient: a caller that runs twice (an SLA
    # escalation retried, a sweep racing a task) writes each message at most once.
    dedupe_key = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("retry_message", _("Can retry sending messages"))]
        indexes = [
            # The sweep: pending rows whose next attempt is due, nothing else touched.
            models.Index(fields=["status", "next_attempt_at"], name="notify_msg_due"),
            # A user's inbox, newest first, and its unread count.
            models.Index(fields=["recipient", "channel", "-created_at"], name="notify_msg_inbox"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_channel_display()} {self.template}"

    @property
    def to(self) -> str:
        """Who it goes to, for lists and logs."""
        if self.address:
            return self.address
        return self.recipient.get_username() if self.recipient_id else ""
