"""API token authentication that does not read the database on every request.

DRF's TokenAuthentication loads the token and its user with a join on every call: a
third of a trivial API request's cost. Here the token, with its user, is kept in the
shared cache under a hash of the key (the key itself never becomes a cache key). A
deleted or replaced token, or a saved or deleted user (deactivated, made superuser,
renamed), drops the entry at once and again when its transaction commits, as
kefu.org.actor does for permissions, so a revoked token or a disabled account fails on
the next request whichever worker serves it.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token, TokenProxy

TTL_SECONDS = 600  # a backstop for changes made behind the ORM's back


def _key(token_key: str) -> str:
    return "kefu:token:" + hashlib.sha256(token_key.encode()).hexdigest()


class CachedTokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str):
        cache_key = _key(key)
        token = cache.get(cache_key)
        if token is None:
            token = Token.objects.select_related("user").filter(key=key).first()
            if token is None:
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            cache.set(cache_key, token, timeout=TTL_SECONDS)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


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
