"""Who a signed-in user is, as every request needs it: permissions, data scope, own unit.

Read from the database these are five queries (the user's and the roles' permissions,
the role assignments, the staff profile, its unit) on every request — more than a work
order's intake writes. They are kept in the shared cache (Redis in production), one
entry per user, stamped with a generation. Any change to roles, assignments, staff
profiles, user permissions or the org tree draws a new generation, at once and again
when its transaction commits, so no process goes on using the old answer: a revoked
role stops working on the next request, whichever worker serves it. Whether a user is
active or a superuser is read from the user row itself: loaded fresh for a signed-in
page, and for an API token from a cache entry that any save of the user drops
(kefu.org.tokens).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from kefu.org.models import DataScope, OrgUnit, Role, RoleAssignment, StaffProfile
from kefu.org.scope_value import Scope

GENERATION_KEY = "kefu:actor:generation"
TTL_SECONDS = 600  # a backstop: changes made behind the ORM's back (raw SQL) age out


@dataclass(frozen=True)
class ActorContext:
    permissions: frozenset[str]  # "app_label.codename", from the user and their roles
    scope: Scope  # the union of the role assignments (superusers: see scope_for)
    staff: StaffProfile | None  # with its org_unit loaded


def _key(user_id: int) -> str:
    return f"kefu:actor:{user_id}"


def _generation() -> str:
    """The current generation, drawn if the cache has none (first start, cache cleared)."""
    cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    return cache.get(GENERATION_KEY)


def _load(user) -> ActorContext:
    names = ("content_type__app_label", "codename")
    direct = Permission.objects.filter(user=user).order_by().values_list(*names)
    by_role = Permission.objects.filter(role__roleassignment__user=user).order_by()
    by_role = by_role.values_list(*names)
    permissions = frozenset(f"{app}.{codename}" for app, codename in direct.union(by_role))
    rows = RoleAssignment.objects.filter(user=user).values_list(
        "scope", "org_unit_id", "org_unit__path"
    )
    sees_all, paths, units, own = False, set(), set(), False
    for scope_code, unit_id, path in rows:
        if scope_code == DataScope.ALL:
            sees_all = True
        elif scope_code == DataScope.SUBTREE:
            paths.add(path)
        elif scope_code == DataScope.UNIT:
            units.add(unit_id)
        else:
            own = True
    staff = StaffProfile.objects.select_related("org_unit").filter(user=user).first()
    scope = Scope(sees_all, tuple(sorted(paths)), tuple(sorted(units)), own)
    return ActorContext(permissions, scope, staff)


def actor_context(user) -> ActorContext:
    """The user's context: from the user object (one per request), else the shared cache,
    else the database (and then into the cache)."""
    context = getattr(user, "_kefu_actor", None)
    if context is not None:
        return context
    # One round trip for both: this runs on every request.
    found = cache.get_many([GENERATION_KEY, _key(user.pk)])
    generation = found.get(GENERATION_KEY) or _generation()
    hit = found.get(_key(user.pk))
    if hit is not None and hit[0] == generation:
        context = hit[1]
    else:
        context = _load(user)
        cache.set(_key(user.pk), (generation, context), timeout=TTL_SECONDS)
    user._kefu_actor = context
    # user.staff then needs no query of its own.
    StaffProfile.user.field.remote_field.set_cached_value(user, context.staff)
    return context


def forget_actors(**kwargs) -> None:
    """Invalidate every user's context: now, and once more when the change commits (a
    request between the two would otherwise cache what it read before the commit)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None))


for _model in (RoleAssignment, Role, StaffProfile, OrgUnit):
    post_save.connect(forget_actors, sender=_model, dispatch_uid=f"actor.save.{_model.__name__}")
    post_delete.connect(forget_actors, sender=_model, dispatch_uid=f"actor.del.{_model.__name__}")
for _through in (Role.permissions.through, get_user_model().user_permissions.through):
    m2m_changed.connect(forget_actors, sender=_through, dispatch_uid=f"actor.m2m.{_through}")
