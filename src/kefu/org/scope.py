"""Data scope: which rows an actor may see, as one Q object per query.

A user's scope is the union of their role assignments: `all`, a unit subtree (one indexed
prefix filter on OrgUnit.path), a single unit, or their own records. Superusers see all.
A user with no assignment sees nothing — the safe default.
"""

from __future__ import annotations

from django.db.models import Q

from kefu.org.actor import actor_context
from kefu.org.scope_value import Scope

__all__ = ["Scope", "scope_filter", "scope_for"]


def scope_for(user) -> Scope:
    if not user or not user.is_authenticated:
        return Scope(False, (), (), False)
    if user.is_superuser:
        return Scope(True, (), (), False)
    return actor_context(user).scope


def scope_filter(user, *, unit_field: str = "org_unit", owner_field: str | None = None) -> Q:
    return scope_for(user).q(unit_field=unit_field, owner_field=owner_field, user_id=user.pk)
