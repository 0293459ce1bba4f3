"""`kefu check --deploy`: a missing secret key names the command that makes it."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def secret_key_check(app_configs=None, **kwargs):
    try:
        if settings.SECRET_KEY:
            return []
    except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
        pass
    return [
        Error(
            "No secret key: run `kefu setup` (it keeps one in the data dir) or set KEFU_SECRET_KEY",
            id="kefu_core.E001",
        )
    ]
