"""`kefu check`: a mistyped KEFU_SMTP_URL is reported at start-up, not at the first e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def notify_settings_check(app_configs=None, **kwargs):
    from kefu.notify.backends import parse_smtp_url

    errors = []
    url = settings.KEFU_SMTP_URL
    if url:
        try:
            parse_smtp_url(url)
        except ValueError as exc:
            errors.append(Error(str(exc), id="kefu_notify.E001"))
    sms = settings.KEFU_SMS_GATEWAY_URL
    if sms and not sms.lower().startswith(("http://", "https://")):
        errors.append(
            Error("KEFU_SMS_GATEWAY_URL must be an http:// or https:// URL", id="kefu_notify.E002")
        )
    return errors
