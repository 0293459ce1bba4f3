"""Signing in to the portal with a one-time SMS code 短信验证码: 6 digits, valid 5 minutes,
single-use, 5 wrong tries per code; at most one code a minute and 5 an hour per phone, 20
an hour per client address.

A number no customer has gets the same answer as one that has ("the code is on its way")
and a row that counts against the throttles, but no SMS: the page must not tell a caller
who is a customer. Only a keyed hash of the code is stored; the SMS itself goes through
the notify outbox (without a gateway the console backend writes it to outbox.log — the
demo's way to read it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.callbacks.phones import is_mobile, normalised_phone
from kefu.core.errors import KefuError, ValidationFailed
from kefu.customers.models import Customer
from kefu.notify.customer import customer_context
from kefu.notify.services import notify
from kefu.portal.models import OtpCode

DIGITS = 6
VALID = dt.timedelta(minutes=5)
MAX_TRIES = 5
PER_PHONE_GAP = dt.timedelta(seconds=60)
PER_PHONE_HOUR = 5
PER_ADDRESS_HOUR = 20


class TooManyCodes(KefuError):
    code = "too_many_codes"
    status = 429
    default_message = gettext_lazy("Too many codes asked for. Please try again later.")


class WrongCode(KefuError):
    code = "wrong_code"
    status = 400
    default_message = gettext_lazy("The code is wrong or has expired. Ask for a new one.")


def checked_phone(value: str) -> str:
    phone = normalised_phone(value or "")
    if not is_mobile(phone):
        raise ValidationFailed.for_fields({"phone": [_("Enter an 11-digit mobile number.")]})
    return phone


def _hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"portal-otp:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _throttle(phone: str, ip: str | None, now: dt.datetime) -> None:
    hour = now - dt.timedelta(hours=1)
    recent = OtpCode.objects.filter(phone=phone, created_at__gt=hour)
    if recent.filter(created_at__gt=now - PER_PHONE_GAP).exists():
        raise TooManyCodes(_("A code was sent less than a minute ago. Please wait."))
    if recent.count() >= PER_PHONE_HOUR:
        raise TooManyCodes()
    if ip and OtpCode.objects.filter(ip=ip, created_at__gt=hour).count() >= PER_ADDRESS_HOUR:
        raise TooManyCodes()


@transaction.atomic
def otp_request(*, phone: str, ip: str | None) -> str:
    """Send a sign-in code to `phone` (if a customer has it); returns the normalised
    phone. Refused with 429 past the throttles, with nothing sent."""
    phone = checked_phone(phone)
    now = timezone.now()
    _throttle(phone, ip, now)
    known = Customer.objects.filter(phone=phone).exists()
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    OtpCode.objects.create(
        phone=phone,
        ip=ip,
        code_hash=_hash(phone, code) if known else "",
        created_at=now,
        expires_at=now + VALID,
    )
    if known:
        notify(
            template="portal_otp",
            context=customer_context(code=code, minutes=int(VALID.total_seconds() // 60)),
            addresses=[phone],
            channel="sms",
        )
    return phone


def otp_verify(*, phone: str, code: str) -> str:
    """The phone, once its latest code is entered right; WrongCode otherwise (a wrong try
    counts, the fifth spends the code)."""
    phone = checked_phone(phone)
    if not _spent(phone, (code or "").strip()):
        raise WrongCode()
    return phone


@transaction.atomic
def _spent(phone: str, code: str) -> bool:
    """Whether `code` is the phone's live code (then used up); a wrong try is counted in
    this transaction, which commits either way."""
    now = timezone.now()
    latest = (
        OtpCode.objects.select_for_update()
        .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None or not latest.code_hash or latest.attempts >= MAX_TRIES:
        return False
    if not hmac.compare_digest(latest.code_hash, _hash(phone, code)):
        latest.attempts += 1
        latest.save(update_fields=["attempts"])
        return False
    latest.used_at = now
    latest.save(update_fields=["used_at"])
    return True
