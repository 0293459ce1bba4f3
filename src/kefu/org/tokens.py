"""API token authentication that does not read the database on every request.

DRF's TokenAuthentication loads the token and its user with a join on every call: a
third of a trivial API request's cost. Here the token, with its user, is kept in the
shared cache under a hash of the key (the key itself never becomes a cache key). A
deleted or replaced token, or a saved or deleted user (deactivated, made superuser,
renamed), drops the entry at once and again when its transaction commits, as
kefu.org.actor does for permissions, so a revoked token or a disabled account fails on
the next request whichever worker serves it.

Unknown tokens cost a database query each, and DRF answers them 401 before any rate
limit is asked. So a client address that sent KEFU_BAD_TOKENS_PER_MINUTE unknown tokens
within the current minute gets 429 for the rest of it without a query; a token already
in the cache still works from there.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token, TokenProxy

from kefu.core.cache import count_hit
from kefu.core.http import client_ip

TTL_SECONDS = 600  # a backstop for changes made behind the ORM's back


def _key(token_key: str) -> str:
    return "kefu:token:" + hashlib.sha256(token_key.encode()).hexdigest()


def _failures_key(request) -> tuple[str, float]:
    """The unknown-token counter of the request's client address for this minute, and the
    seconds the minute has left."""
    now = time.time()
    return f"kefu:bad-token:{client_ip(request)}:{int(now // 60)}", 60 - now % 60


class CachedTokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        self.request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):
        cache_key = _key(key)
        token = cache.get(cache_key)
        if token is None:
            token = self._look_up(key)
            cache.set(cache_key, token, timeout=TTL_SECONDS)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token

    def _look_up(self, key: str) -> Token:
        failures, wait = _failures_key(self.request)
        if (cache.get(failures) or 0) >= settings.KEFU_BAD_TOKENS_PER_MINUTE:
            raise exceptions.Throttled(wait=wait)
        token = Token.objects.select_related("user").filter(key=key).first()
        if token is None:
            count_hit(cache, failures, 61)
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return token


def _forget(keys: list[str]) -> None:
    if keys:
        names = [_key(k) for k in keys]
        cache.delete_many(names)
        transaction.on_commit(lambda: cache.delete_many(names))


def _token_changed(instance, **kwargs) -> None:
    _forget([instance.key])


def _user_changed(instance, **kwargs) -> None:
    _forget(list(Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)))


for _model in (Token, TokenProxy):
    post_save.connect(_token_changed, sender=_model, dispatch_uid=f"token.save.{_model.__name__}")
    post_delete.connect(_token_changed, sender=_model, dispatch_uid=f"token.del.{_model.__name__}")
post_save.connect(_user_changed, sender=get_user_model(), dispatch_uid="token.user.save")
