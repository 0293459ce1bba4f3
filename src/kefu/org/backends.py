"""Authentication backend granting the permissions of a user's role assignments."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    def _get_group_permissions(self, user_obj):
        # Roles take the place of Django groups: a role's permission set applies wherever
        # the user holds it; where it applies (data scope) is decided by selectors.
        return Permission.objects.filter(role__roleassignment__user=user_obj)
