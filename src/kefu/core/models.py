"""Tables shared by every app. Workflows live in the modules that use them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """幂等记录: the first outcome of an API write sent with an `Idempotency-Key` header.

    Written in the same transaction as the write it protects (kefu.core.idempotency), so a
    row exists exactly when that write committed. While the transaction is open the row has
    no status yet: the unique (user, key) index makes a concurrent retry wait for it.
    """

    # No index of its own: the unique (user, key) index starts with user_id and serves the
    # lookups of a user's rows (deleting a user) as well.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("user"),
    )
    key = models.CharField(_("idempotency key"), max_length=100)
    # sha256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The JSON the client first received, as text: jsonb would reorder the keys.
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
