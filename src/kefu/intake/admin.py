"""Admin screens: intake mailboxes are configuration; the intake log is a read-only record."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kefu.intake.mail.poll import mailbox_poll
from kefu.intake.mail.services import mail_retry
from kefu.intake.models import Mailbox, MailMessage


class MailboxForm(forms.ModelForm):
    # The password is never shown back; left empty on an existing mailbox it stays as it is.
    password = forms.CharField(
        label=_("password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored as entered (IMAP needs it): a secret. Leave empty to keep it."),
    )

    class Meta:
        model = Mailbox
        fields = (
            "name",
            "is_active",
            "host",
            "port",
            "use_ssl",
            "username",
            "password",
            "folder",
            "order_type",
            "business_line",
            "accepting_unit",
            "owner",
            "send_acknowledgement",
        )

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if password:
            return password
        if self.instance.pk:
            return self.instance.password
        raise forms.ValidationError(_("This field is required."))


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = (
        "name",
        "username",
        "host",
        "folder",
        "accepting_unit",
        "is_active",
        "last_polled_at",
        "last_error",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "username", "host")
    list_select_related = ("accepting_unit",)
    readonly_fields = ("last_uid", "uidvalidity", "last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (
            _("IMAP server"),
            {"fields": ("host", "port", "use_ssl", "username", "password", "folder")},
        ),
        (
            _("Orders"),
            {
                "fields": (
                    "order_type",
                    "business_line",
                    "accepting_unit",
                    "owner",
                    "send_acknowledgement",
                )
            },
        ),
        (_("Poll state"), {"fields": ("last_uid", "uidvalidity", "last_polled_at", "last_error")}),
    )
    actions = ["poll_now"]

    @admin.action(description=_("Poll the selected mailboxes now"))
    def poll_now(self, request, queryset):
        for mailbox in queryset.select_related("owner", "accepting_unit", "order_type"):
            report = mailbox_poll(mailbox=mailbox)
            if report.error:
                self.message_user(request, f"{mailbox.name}: {report.error}", level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "%(name)s: %(new)d new orders, %(replies)d replies, %(ignored)d "
                        "ignored, %(failed)d failed."
                    )
                    % {
                        "name": mailbox.name,
                        "new": report.new,
                        "replies": report.replies,
                        "ignored": report.ignored,
                        "failed": report.failed,
                    },
                )


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "mailbox",
        "kind",
        "from_address",
        "subject",
        "work_order",
        "error",
    )
    list_filter = ("kind", "mailbox")
    search_fields = ("subject", "from_address", "message_id", "work_order__number")
    list_select_related = ("mailbox", "work_order")
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = ["retry"]

    @admin.action(
        description=_("Take the selected failed e-mails in again"),
        permissions=["change_mailbox"],
    )
    def retry(self, request, queryset):
        count = mail_retry(records=queryset)
        self.message_user(
            request,
            _("%(count)d failed e-mails will be read again at the next poll.") % {"count": count},
        )

    def has_change_mailbox_permission(self, request) -> bool:
        return request.user.has_perm("intake.change_mailbox")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
