"""规则变更记录 in the admin: a read-only record (the services write it)."""

from __future__ import annotations

from django.contrib import admin

from kefu.rules.models import RuleChange


@admin.register(RuleChange)
class RuleChangeAdmin(admin.ModelAdmin):
    list_display = ("at", "content_type", "object_repr", "action", "actor")
    list_filter = ("action", "content_type")
    search_fields = ("object_repr",)
    date_hierarchy = "at"
    readonly_fields = (
        "at",
        "content_type",
        "object_id",
        "object_repr",
        "action",
        "actor",
        "before",
        "after",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
