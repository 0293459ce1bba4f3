"""Admin screens: policies are configuration; clocks are a record, read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.sla.models import SlaClock, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "order_type",
        "business_line",
        "channel",
        "tiers",
        "first_contact_minutes",
        "resolution_minutes",
        "reply_minutes",
        "warn_ratio",
        "is_active",
    )
    list_editable = ("priority", "is_active")
    list_filter = ("is_active", "order_type", "business_line")
    list_select_related = ("order_type", "business_line")
    search_fields = ("name", "code")
    fieldsets = (
        (None, {"fields": ("code", "name", "priority", "is_active", "note")}),
        (_("Matching"), {"fields": ("order_type", "business_line", "channel", "tiers")}),
        (
            _("Time limits"),
            {
                "fields": (
                    ("first_contact_minutes", "first_contact_calendar"),
                    ("resolution_minutes", "resolution_calendar"),
                    ("reply_minutes", "reply_calendar"),
                    "warn_ratio",
                    "escalation_minutes",
                )
            },
        ),
    )


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "kind",
        "state",
        "calendar",
        "started_at",
        "due_at",
        "paused_at",
        "stopped_at",
        "escalation_step",
    )
    list_filter = ("state", "kind", "calendar")
    list_select_related = ("order",)
    raw_id_fields = ("order", "policy")
    search_fields = ("order__number",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
