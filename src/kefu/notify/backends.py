"""Delivery backends, one per channel. Each sends one Message or raises DeliveryError.

Configuration comes from settings (KEFU_* environment variables, see settings.py):

    KEFU_SMTP_URL          smtp://user:pass@host:25, smtp+starttls://…:587, smtps://…:465
    KEFU_MAIL_FROM         sender address (default: the SMTP user if it is an address)
    KEFU_SMS_GATEWAY_URL   generic HTTP SMS gateway: POST {"phone", "text"} as JSON
    KEFU_SMS_GATEWAY_TOKEN optional bearer token for the gateway

Without SMTP or an SMS gateway, external messages are written by the console backend to
DATA_DIR/outbox.log (one JSON line each) instead; services decide that when the message
is written, so the row's channel says where it really went.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from kefu.notify.models import Channel, Message

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 10  # seconds, webhooks, the SMS gateway and SMTP alike
SIGNATURE_HEADER = "X-Kefu-Signature"
EVENT_HEADER = "X-Kefu-Event"
DELIVERY_HEADER = "X-Kefu-Delivery"  # the message id: receivers drop repeats by it
_SNIPPET = 200  # characters of a failing response kept in last_error


class DeliveryError(Exception):
    """Sending failed. `permanent`: retrying cannot help (e.g. the endpoint was removed)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


# --- configuration ------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    use_ssl: bool
    use_tls: bool


_SMTP_SCHEMES = {
    # scheme: (default port, implicit TLS, STARTTLS)
    "smtp": (25, False, False),
    "smtp+starttls": (587, False, True),
    "smtps": (465, True, False),
}


def parse_smtp_url(url: str) -> SmtpConfig:
    """smtp://user:pass@host:port → SmtpConfig; ValueError naming what is wrong."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SMTP_SCHEMES:
        raise ValueError(
            f"KEFU_SMTP_URL: scheme must be one of {', '.join(_SMTP_SCHEMES)}, not {scheme!r}"
        )
    if not parts.hostname:
        raise ValueError("KEFU_SMTP_URL: the host is missing")
    default_port, use_ssl, use_tls = _SMTP_SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError("KEFU_SMTP_URL: the port is not a number") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_ssl=use_ssl,
        use_tls=use_tls,
    )


def email_configured() -> bool:
    return bool(settings.KEFU_SMTP_URL)


def sms_configured() -> bool:
    return bool(settings.KEFU_SMS_GATEWAY_URL)


def mail_from() -> str:
    sender = settings.KEFU_MAIL_FROM
    if sender:
        return sender
    url = settings.KEFU_SMTP_URL
    # Many mail services (QQ, 163, Exchange) accept only the signed-in account as sender.
    user = parse_smtp_url(url).username if url else ""
    return user if "@" in user else "kefu@localhost"


def outbox_log_path() -> Path:
    return Path(settings.DATA_DIR) / "outbox.log"


# --- channels -----------------------------------------------------------------------------


def send_console(message: Message) -> None:
    """Append one JSON line to DATA_DIR/outbox.log and log it."""
    record = {
        "id": message.pk,
        "at": timezone.now().isoformat(),
        "channel": message.channel,
        "template": message.template,
        "to": message.to,
        "subject": message.subject,
        "body": message.body,
    }
    if message.payload:
        record["payload"] = message.payload
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    path = outbox_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write on an O_APPEND descriptor: lines from parallel workers do not interleave.
    # 0600: the lines carry phone numbers and addresses.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    log.info("outbox message %s to %s: %s", message.pk, message.to, message.subject)


def send_email(message: Message) -> None:
    url = settings.KEFU_SMTP_URL
    if not url:
        raise DeliveryError("e-mail is not configured (KEFU_SMTP_URL is empty)")
    try:
        config = parse_smtp_url(url)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    # The SMTP backend named explicitly: EMAIL_BACKEND stays free for Django's own mail
    # (and for the test runner's locmem backend).
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=config.host,
        port=config.port,
        username=config.username or None,
        password=config.password or None,
        use_ssl=config.use_ssl,
        use_tls=config.use_tls,
        timeout=HTTP_TIMEOUT,
        fail_silently=False,
    )
    mail = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=mail_from(),
        to=[message.address],
        connection=connection,
        headers={"X-Kefu-Message": str(message.pk), **thread_headers(message)},
    )
    try:
        mail.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {config.host}:{config.port}: {exc}") from None


# Headers a message may carry in payload["mail_headers"]: the reply to a customer's mail
# answers in its thread (In-Reply-To/References), and the customer's answer goes back to
# the intake mailbox (Reply-To).
THREAD_HEADERS = ("In-Reply-To", "References", "Reply-To")


def thread_headers(message: Message) -> dict[str, str]:
    given = (message.payload or {}).get("mail_headers") or {}
    if not isinstance(given, dict):
        return {}
    headers = {}
    for name in THREAD_HEADERS:
        value = " ".join(str(given.get(name) or "").split())  # no line breaks in a header
        if value:
            headers[name] = value[:2000]
    return headers


def webhook_signature(secret: str, body: bytes) -> str:
    """The X-Kefu-Signature value: sha256=<hex HMAC-SHA256 of the raw body>."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send_webhook(message: Message) -> None:
    endpoint = message.endpoint
    if endpoint is None:
        raise DeliveryError("the webhook endpoint was deleted", permanent=True)
    if not endpoint.is_active:
        raise DeliveryError("the webhook endpoint is inactive", permanent=True)
    # The body was fixed when the message was written: every retry signs the same bytes.
    body = message.body.encode("utf-8")
    _post(
        endpoint.url,
        body,
        {
            SIGNATURE_HEADER: webhook_signature(endpoint.secret, body),
            EVENT_HEADER: message.template,
            DELIVERY_HEADER: str(message.pk),
        },
    )


def send_sms(message: Message) -> None:
    url = settings.KEFU_SMS_GATEWAY_URL
    if not url:
        raise DeliveryError("the SMS gateway is not configured (KEFU_SMS_GATEWAY_URL is empty)")
    body = json.dumps(
        {"phone": message.address, "text": message.body or message.subject}, ensure_ascii=False
    ).encode("utf-8")
    headers = {}
    if token := settings.KEFU_SMS_GATEWAY_TOKEN:
        headers["Authorization"] = f"Bearer {token}"
    _post(url, body, headers)


def send_inbox(message: Message) -> None:
    """Inbox messages are delivered by being written; nothing to send."""


BACKENDS = {
    Channel.INBOX: send_inbox,
    Channel.CONSOLE: send_console,
    Channel.EMAIL: send_email,
    Channel.WEBHOOK: send_webhook,
    Channel.SMS: send_sms,
}


def send(message: Message) -> None:
    try:
        backend = BACKENDS[message.channel]
    except KeyError:
        raise DeliveryError(f"unknown channel {message.channel!r}", permanent=True) from None
    backend(message)


# --- HTTP ---------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be replayed as a GET without body: report it instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _where(url: str) -> str:
    """scheme://host/path: query strings may carry tokens, kept out of last_error."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    """POST a JSON body; a 2xx answer is success, anything else a DeliveryError."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise DeliveryError(f"not an http(s) URL: {_where(url)}", permanent=True)
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Kefu-Notify/1",
            **headers,
        },
    )
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT) as response:
            status = response.status
            answer = response.read(_SNIPPET)
    except urllib.error.HTTPError as exc:
        status = exc.code
        answer = exc.read(_SNIPPET) if exc.fp else b""
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DeliveryError(f"POST {_where(url)}: {reason}") from None
    if not 200 <= status < 300:
        text = answer.decode("utf-8", "replace").strip()
        raise DeliveryError(f"POST {_where(url)}: HTTP {status}" + (f" {text}" if text else ""))
