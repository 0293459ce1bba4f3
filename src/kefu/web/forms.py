"""Shell forms: sign-in with its lock-out, and the helper the apps' list filters share.

The apps' own forms live beside their views (kefu.customers.forms, kefu.org.forms, …);
like these they check shape only (lengths, choices); rules live in the services."""

from __future__ import annotations

import math
import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.core.http import client_ip
from kefu.web.throttle import login_failed, login_locked, login_succeeded


class LoginThrottleMixin:
    """Refuse a (username, IP) pair after too many failures, on any sign-in form.

    The sign-in page, the admin site's sign-in and the API token endpoint count into one
    lock-out (kefu.web.throttle), so none of them is a side door for password guessing.
    """

    def _locked_error(self, seconds: int) -> ValidationError:
        minutes = max(math.ceil(seconds / 60), 1)
        return ValidationError(
            _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.")
            % {"minutes": minutes},
            code="locked",
        )

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else ""
        locked = login_locked(username=username, ip=ip)
        if locked:
            raise self._locked_error(locked.retry_after(time.time()))
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                attempts = login_failed(username=username, ip=ip)
                if attempts.failures >= settings.KEFU_LOGIN_MAX_FAILURES:
                    raise self._locked_error(settings.KEFU_LOGIN_LOCK_SECONDS) from None
            raise
        login_succeeded(username=username, ip=ip)
        return cleaned


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    """Django's login form with the shared lock-out."""


class ThrottledAdminAuthenticationForm(LoginThrottleMixin, AdminAuthenticationForm):
    """The admin site's login form with the same lock-out as the sign-in page."""


def valid_filters(form: forms.Form) -> dict:
    """The filter values that passed validation; invalid ones are dropped (and the form
    shows why) rather than silently widening the list to everything."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
