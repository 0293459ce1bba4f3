"""Admin screens: templates and webhook endpoints are configuration; the outbox is a
read-only record with one action, "retry now"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kefu.core.masking import mask_address
from kefu.notify import services
from kefu.notify.models import Channel, Message, NotificationTemplate, WebhookEndpoint


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "subject", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "subject")
    fields = ("code", "name", "subject", "body", "is_active")

    def get_readonly_fields(self, request, obj=None):
        # Callers name templates by code: renaming one would break them.
        return ("code",) if obj else ()


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "events", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "serial",
        "created_at",
        "channel",
        "template",
        "to_display",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "channel", "template")
    # "=address": a whole phone number or e-mail address only; a substring search would let
    # anyone narrow a customer's masked number digit by digit.
    search_fields = ("=address", "template", "subject", "recipient__username")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    show_full_result_count = False  # the outbox grows large: no COUNT(*) per page
    # The detail page shows the address masked as the list does, and not the dedupe key,
    # which embeds the address.
    fields = (
        "channel",
        "recipient",
        "to_display",
        "endpoint",
        "template",
        "subject",
        "body",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "read_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("notify.retry_message")

    @admin.display(description=_("serial number"), ordering="id")
    def serial(self, obj: Message) -> int:
        return obj.pk

    @admin.display(description=_("to"))
    def to_display(self, obj: Message) -> str:
        # A customer's phone or e-mail address (also on the console channel, which stands in
        # for an unconfigured SMS gateway), masked as everywhere else, whoever looks: the
        # outbox is no place to learn contact data. A webhook's URL as it is.
        if obj.address and obj.channel != Channel.WEBHOOK:
            return mask_address(obj.address)
        return obj.address or (obj.recipient.get_username() if obj.recipient else "")

    @admin.display(description=_("last error"))
    def short_error(self, obj: Message) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        count = services.messages_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d message queued for sending.",
                "%(count)d messages queued for sending.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
