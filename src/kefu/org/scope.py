"""Data scope: which rows an actor may see, as one Q object per query.

A user's scope is the union of their role assignments: `all`, a unit subtree (one indexed
prefix filter on OrgUnit.path), a single unit, or their own records. Superusers see all.
A user with no assignment sees nothing — the safe default.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from kefu.org.models import OrgUnit


@dataclass(frozen=True)
class Scope:
    sees_all: bool
    subtree_paths: tuple[str, ...]
    unit_ids: tuple[int, ...]
    own: bool

    def q(self, *, unit_field: str, owner_field: str | None, user_id: int) -> Q:
        if self.sees_all:
            return Q()
        q = Q(pk__in=[])
        for path in self.subtree_paths:
            units = OrgUnit.objects.filter(path__startswith=path).values("pk")
            q |= Q(**{f"{unit_field}__in": units})
        if self.unit_ids:
            q |= Q(**{f"{unit_field}__in": list(self.unit_ids)})
        if self.own and owner_field:
            q |= Q(**{owner_field: user_id})
        return q

    def covers_unit(self, unit: OrgUnit) -> bool:
        """Whether a record owned by `unit` is inside this scope (ignoring `own`)."""
        return (
            self.sees_all
            or unit.pk in self.unit_ids
            or any(unit.path.startswith(p) for p in self.subtree_paths)
        )


def scope_for(user) -> Scope:
    if not user or not user.is_authenticated:
        return Scope(False, (), (), False)
    if user.is_superuser:
        return Scope(True, (), (), False)
    from kefu.org.actor import actor_context  # actor builds on Scope

    return actor_context(user).scope


def scope_filter(user, *, unit_field: str = "org_unit", owner_field: str | None = None) -> Q:
    return scope_for(user).q(unit_field=unit_field, owner_field=owner_field, user_id=user.pk)
