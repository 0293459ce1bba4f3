"""Helpers shared by the `kefu import` / `kefu export` commands."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def acting_user(username: str | None):
    """The user a command acts as: --as USERNAME, else the first superuser."""
    users = get_user_model().objects.filter(is_active=True)
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(_("No active user named %(name)s.") % {"name": username})
        return user
    user = users.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        raise CommandError(_("No superuser exists; name the acting user with --as USERNAME."))
    return user
