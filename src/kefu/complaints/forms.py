"""The form of the alert page: a supervisor's process walk-through note."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.complaints.services import NOTE_MAX


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Process walk-through note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
