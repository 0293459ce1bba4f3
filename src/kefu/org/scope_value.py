"""The Scope value: which units (and whose own records) one user may see.

Built from the role assignments by kefu.org.actor (cached with the rest of the actor's
context) and turned into a query by kefu.org.scope. It lives apart from both so that
actor → scope_value ← scope has no cycle: scope asks actor for a user's context, and
actor only needs this value type.
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
