"""Admin screens of the work orders: attachments, read-only (they come with the mail and
are written only by kefu.workorders.attachments)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.workorders.attachments import human_size
from kefu.workorders.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("name", "order_number", "content_type", "size_display", "created_at")
    list_select_related = ("order",)
    search_fields = ("=order__number", "name", "sha256")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "name",
        "order",
        "content_type",
        "size_display",
        "sha256",
        "path",
        "message_id",
        "event",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("work order"), ordering="order__number")
    def order_number(self, obj: Attachment) -> str:
        return obj.order.number

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj: Attachment) -> str:
        return human_size(obj.size)
