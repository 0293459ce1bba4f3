"""Customer portal 客户自助门户: the one-time codes customers sign in with."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OtpCode(models.Model):
    """One SMS code sent (or, for a number no customer has, pretended to be sent): only its
    keyed hash is kept. The rows are also the throttle's record, per phone and address."""

    phone = models.CharField(_("phone"), max_length=20)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)  # "" when nothing was sent
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [
            models.Index(fields=["phone", "created_at"], name="portal_otp_phone"),
            models.Index(fields=["ip", "created_at"], name="portal_otp_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"
