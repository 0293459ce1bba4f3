"""Admin: the complaint and outage settings (one row); outages and batch alerts to browse.

Outages are registered, restored and closed through the services (web UI, API), which
resolve orders and notify customers; the admin only reads them.
"""

from __future__ import annotations

from django.contrib import admin

from kefu.outages.models import ComplaintBatchAlert, IncidentSettings, Outage, OutageLink


@admin.register(IncidentSettings)
class IncidentSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "repeat_window_days", "batch_threshold", "batch_window_hours")

    def has_add_permission(self, request):
        # One row: the defaults apply until it is saved.
        return super().has_add_permission(request) and not IncidentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OutageLinkInline(admin.TabularInline):
    model = OutageLink
    fields = ("work_order", "linked_by", "linked_at", "customer_notified")
    readonly_fields = fields
    raw_id_fields = ("work_order",)
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Outage)
class OutageAdmin(_ReadOnly):
    list_display = ("title", "status", "is_major", "started_at", "expected_restore_at")
    list_filter = ("status", "is_major", "business_line")
    search_fields = ("title", "cause")
    date_hierarchy = "started_at"
    inlines = [OutageLinkInline]


@admin.register(ComplaintBatchAlert)
class ComplaintBatchAlertAdmin(_ReadOnly):
    list_display = ("area", "category", "count", "window_start", "created_at", "acknowledged_at")
    list_filter = ("acknowledged_at",)
    list_select_related = ("area", "category", "category__parent")
    date_hierarchy = "created_at"
