"""Web forms of the outage pages. They check shape only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.outages.models import OutageStatus
from kefu.workorders.models import BusinessLine

_LOCAL = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; values shown in local time."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=_LOCAL, **kwargs)

    def format_value(self, value):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value)
        return super().format_value(value)


def _datetime(label, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=LocalDateTimeInput(),
        input_formats=[_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class OutageFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *OutageStatus.choices]


class OutageRegisterForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    areas = forms.MultipleChoiceField(
        label=_("Affected areas"),
        help_text=_("Each area includes every unit below it."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    business_line = forms.ChoiceField(label=_("Business line"), required=False)
    cause = forms.CharField(
        label=_("Outage cause"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Read out to callers and sent to them by SMS."),
    )
    started_at = _datetime(_("Started at"), required=False, help_text=_("Empty: now."))
    expected_restore_at = _datetime(_("Expected restore"))
    is_major = forms.BooleanField(
        label=_("Major outage (fault-analysis report required)"), required=False
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        base = min((u.depth for u in units), default=0)
        self.units = {str(u.pk): u for u in units}
        self.fields["areas"].choices = [
            (str(u.pk), "\u3000" * (u.depth - base) + u.name) for u in units
        ]
        lines = BusinessLine.objects.filter(is_active=True)
        self.lines = {b.code: b for b in lines}
        self.fields["business_line"].choices = [("", _("All business lines"))] + [
            (b.code, b.name) for b in lines
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "cause": data["cause"],
            "areas": [self.units[pk] for pk in data["areas"]],
            "business_line": self.lines.get(data["business_line"]),
            "started_at": data["started_at"],
            "expected_restore_at": data["expected_restore_at"],
            "is_major": data["is_major"],
        }


class OutageEditForm(forms.Form):
    prefix = "edit"

    cause = forms.CharField(
        label=_("Outage cause"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_restore_at = _datetime(_("Expected restore"))
    is_major = forms.BooleanField(label=_("Major outage"), required=False)


class LinkOrderForm(forms.Form):
    prefix = "link"

    order = forms.CharField(
        label=_("Work-order number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class RestoreForm(forms.Form):
    prefix = "restore"

    resolution = forms.CharField(
        label=_("Restore note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Written as the resolution of every linked open order."),
    )
    restored_at = _datetime(_("Restored at"), required=False, help_text=_("Empty: now."))


class ReportForm(forms.Form):
    prefix = "report"

    cause = forms.CharField(label=_("Cause analysis"), widget=forms.Textarea(attrs={"rows": 3}))
    lessons = forms.CharField(label=_("Lessons learned"), widget=forms.Textarea(attrs={"rows": 3}))
    improvements = forms.CharField(
        label=_("Improvements"), widget=forms.Textarea(attrs={"rows": 3})
    )
    prevention = forms.CharField(
        label=_("Preventive measures"), widget=forms.Textarea(attrs={"rows": 3})
    )
