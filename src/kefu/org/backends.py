"""Authentication backend granting the permissions of a user's role assignments."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from kefu.org.actor import actor_context


class RoleBackend(ModelBackend):
    def _get_group_permissions(self, user_obj):
        # Roles take the place of Django groups: a role's permission set applies wherever
        # the user holds it; where it applies (data scope) is decided by selectors.
        return Permission.objects.filter(role__roleassignment__user=user_obj)

    def get_all_permissions(self, user_obj, obj=None):
        # The user's and the roles' permissions in one cached set (kefu.org.actor):
        # asked on every request, changed a few times a year.
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        return actor_context(user_obj).permissions
