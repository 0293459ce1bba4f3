"""Admin: the outage settings (one row); outages to browse.

Outages are registered, restored and closed through the services (web UI, API), which
resolve orders and notify customers; the admin only reads them.
"""

from __future__ import annotations

from django.contrib import admin

from kefu.outages.models import IncidentSettings, Outage, OutageLink


@admin.register(IncidentSettings)
class IncidentSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "report_due_days")

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
