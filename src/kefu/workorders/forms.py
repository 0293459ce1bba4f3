"""Work-order web forms: the workbench intake form, the queue filters, one small form per
lifecycle action, and bulk dispatch.

They check shape only (lengths, choices, a well-formed number). Whether an action is
possible, whether a handler belongs to the unit, whether a customer is in scope: the
services decide, and the views put their errors next to the field they name. Every
action form carries the order's `version`, so a form read before someone else acted
gets a conflict instead of acting on news it has not seen.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.org.models import OrgUnit
from kefu.workorders import routing
from kefu.workorders.actions import TEXT_MAX, TITLE_MAX
from kefu.workorders.models import (
    BusinessLine,
    Category,
    CategoryKind,
    Channel,
    ComplaintSource,
    Remedy,
    Status,
    WorkOrderType,
)
from kefu.workorders.selectors import target_units

TEXTAREA = {"rows": 3}


def _unit_choices(units, blank=None) -> list[tuple[str, str]]:
    """Units indented by depth under the shallowest one, as the customer forms show them."""
    units = list(units)
    base_depth = min((u.depth for u in units), default=0)
    rows = [(str(u.pk), "\u3000" * (u.depth - base_depth) + u.name) for u in units]
    return ([("", blank)] if blank is not None else []) + rows


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        # Children follow their parent (codes share its prefix): indent them.
        return ("\u3000" + obj.name) if obj.parent_id else obj.name


HANDLER_BLANK = _("— unit queue, no person —")
_ID = RegexValidator(r"^\d{1,18}$", _("Choose a valid option."))


def _handler_options(unit: OrgUnit | None) -> list[tuple[str, str]]:
    choices = [("", HANDLER_BLANK)]
    if unit is None:
        return choices
    users = (
        get_user_model()
        .objects.filter(pk__in=routing.handlers_in(unit))
        .order_by("first_name", "username")
    )
    return choices + [(str(u.pk), u.first_name or u.username) for u in users]


def handler_choices(unit_pk: str | None, *, viewer) -> list[tuple[str, str]]:
    """The handler select's options for a unit: its handlers who are not on leave; none
    for a unit outside the viewer's reach (the services would refuse them anyway)."""
    text = str(unit_pk or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return _handler_options(None)
    return _handler_options(target_units(viewer).filter(pk=int(text)).first())


def handler_field() -> forms.CharField:
    """A person inside the chosen unit: a select whose options follow the unit select
    (htmx); any id is accepted here, the service checks membership."""
    return forms.CharField(
        label=_("Handler"),
        required=False,
        validators=[_ID],
        widget=forms.Select(choices=[("", HANDLER_BLANK)]),
    )


def _link_unit_to_handler(form: forms.Form) -> None:
    """Wire the unit select to reload the handler options, and fill them now if the
    form comes back bound (so a chosen person survives an error elsewhere)."""
    unit_name, handler_id = form.add_prefix("unit"), form["handler"].auto_id
    form.fields["unit"].widget.attrs.update(
        {
            "hx-get": reverse("workorders:handler_options"),
            "hx-target": f"#{handler_id}",
            "hx-trigger": "change",
            "hx-swap": "innerHTML",
        }
    )
    if form.is_bound:
        # Only units on the form's own list: the list is the viewer's reach.
        offered = {value for value, _label in form.fields["unit"].choices}
        unit_pk = form.data.get(unit_name)
        if unit_pk and unit_pk in offered:
            unit = OrgUnit.objects.filter(pk=int(unit_pk), is_active=True).first()
            form.fields["handler"].widget.choices = _handler_options(unit)


def _category_queryset(kind: str):
    return Category.objects.filter(kind=kind, is_active=True).order_by("code")


# --- workbench ---------------------------------------------------------------------------


class WorkOrderCreateForm(forms.Form):
    """Step 3 of the workbench: what the caller wants (新建工单)."""

    order_type = forms.ModelChoiceField(
        label=_("Type"), queryset=WorkOrderType.objects.none(), empty_label=None
    )
    business_line = forms.ModelChoiceField(
        label=_("Business line"),
        queryset=BusinessLine.objects.none(),
        required=False,
        empty_label="—",
    )
    category = CategoryChoiceField(
        label=_("Problem category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label="—",
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    source = forms.ChoiceField(
        label=_("Complaint source"),
        choices=ComplaintSource.choices,
        required=False,
        help_text=_("Anything but the customer directly makes it an escalated complaint."),
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=50)
    is_difficult = forms.BooleanField(label=_("Difficult or major"), required=False)
    resolve_at_intake = forms.CharField(
        label=_("Resolved on the spot"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_(
            "Fill in only when you solved it during the call: the order is then resolved at "
            "first contact and is not dispatched."
        ),
    )

    # A complaint resolved on the spot is resolved with its cause and verdict, as below.
    cause = CategoryChoiceField(
        label=_("Cause"), queryset=Category.objects.none(), required=False, empty_label="—"
    )
    justified = forms.ChoiceField(label=_("Complaint justified?"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {
            "channel": Channel.HOTLINE,
            "source": ComplaintSource.DIRECT,
            **kwargs["initial"],
        }
        super().__init__(*args, **kwargs)
        types = WorkOrderType.objects.filter(is_active=True)
        self.fields["order_type"].queryset = types
        self.fields["business_line"].queryset = BusinessLine.objects.filter(is_active=True)
        self.fields["category"].queryset = _category_queryset(CategoryKind.PROBLEM)
        self.fields["cause"].queryset = _category_queryset(CategoryKind.CAUSE)
        self.fields["justified"].choices = JUSTIFIED_CHOICES
        self.complaint_type_ids = [t.pk for t in types if t.is_complaint]
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})

    def clean(self):
        cleaned = super().clean()
        order_type = cleaned.get("order_type")
        if order_type is None or not order_type.is_complaint:
            # The source only qualifies complaints; a hidden select must not make a
            # consultation "escalated".
            cleaned["source"] = ComplaintSource.DIRECT
            cleaned["cause"], cleaned["justified"] = None, ""
        else:
            cleaned["source"] = cleaned.get("source") or ComplaintSource.DIRECT
        return cleaned

    def resolve_details(self) -> dict[str, Any]:
        """The cause and verdict of a complaint resolved on the spot, as resolve takes them."""
        cause, justified = self.cleaned_data.get("cause"), self.cleaned_data.get("justified")
        details: dict[str, Any] = {"cause": cause} if cause is not None else {}
        if justified:
            details["justified"] = justified == "true"
        return details


# --- queues ------------------------------------------------------------------------------


class WorkOrderFilterForm(forms.Form):
    number = forms.CharField(label=_("Number"), required=False, max_length=32)
    status = forms.ChoiceField(label=_("Status"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    business_line = forms.ChoiceField(label=_("Business line"), required=False)
    created_from = forms.DateField(
        label=_("Accepted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Accepted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *Status.choices]
        self.fields["type"].choices = [("", _("All types"))] + list(
            WorkOrderType.objects.filter(is_active=True).values_list("code", "name")
        )
        self.fields["business_line"].choices = [("", _("All business lines"))] + list(
            BusinessLine.objects.filter(is_active=True).values_list("code", "name")
        )
        self.fields["number"].widget.attrs.update(
            {"placeholder": _("Work-order number"), "autocomplete": "off", "type": "search"}
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end date is before the start date."))
        return cleaned


class OrderRefsField(forms.MultipleChoiceField):
    """Checked rows as "id:version". Not a fixed choice list: which orders may be
    dispatched is the service's call, per order."""

    def valid_value(self, value: str) -> bool:
        head, _sep, tail = str(value).partition(":")
        return head.isdigit() and tail.isdigit() and len(head) <= 18 and len(tail) <= 9

    def clean(self, value) -> list[tuple[int, int]]:
        values = super().clean(value)
        return [(int(v.split(":")[0]), int(v.split(":")[1])) for v in values]


class BulkDispatchForm(forms.Form):
    """批量派单: the checked rows of the dispatch queue to one unit (and person)."""

    orders = OrderRefsField(
        label=_("Work orders"),
        error_messages={"required": _("Tick at least one work order.")},
    )
    unit = forms.ChoiceField(label=_("Handling unit"))
    handler = handler_field()

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _unit_choices(units, blank="—")
        _link_unit_to_handler(self)


# --- lifecycle actions -------------------------------------------------------------------


class ActionForm(forms.Form):
    """Base of the action forms: the version read with the page, and the data the service
    expects (field names are the service's, so its errors land next to the field)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, order=None, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.units = list(units)

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    @property
    def field_names(self) -> dict[str, str]:
        return {name: name for name in self.fields}


def _text(label, *, required: bool, rows: int = 3, max_length: int = TEXT_MAX):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class NoteForm(ActionForm):
    """accept, resume, contact, close, urge, supervise: an optional note."""

    note = _text(_("Note"), required=False, rows=2)


class RequiredNoteForm(ActionForm):
    note = _text(_("Note"), required=True)


class ReasonForm(ActionForm):
    """return, suspend, cancel, reopen, escalate: a reason is part of the record."""

    reason = _text(_("Reason"), required=True)


class _UnitMixin:
    def _setup_unit(self, blank):
        self.fields["unit"].choices = _unit_choices(self.units, blank=blank)


class DispatchForm(_UnitMixin, ActionForm):
    unit = forms.ChoiceField(label=_("Handling unit"))
    handler = handler_field()
    note = _text(_("Note"), required=False, rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_unit("—")
        _link_unit_to_handler(self)


class TransferForm(DispatchForm):
    reason = _text(_("Reason"), required=True)
    field_order = ["unit", "handler", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["note"]


JUSTIFIED_CHOICES = [("", "—"), ("true", _("Justified")), ("false", _("Not justified"))]


class ResolveForm(ActionForm):
    resolution = _text(_("Resolution"), required=True, rows=4)
    cause = CategoryChoiceField(
        label=_("Cause"), queryset=Category.objects.none(), required=False, empty_label="—"
    )
    justified = forms.ChoiceField(
        label=_("Complaint justified?"), choices=JUSTIFIED_CHOICES, required=False
    )
    remedy = forms.ChoiceField(label=_("Remedy claimed"), choices=Remedy.choices, required=False)
    responsible_unit = forms.ChoiceField(label=_("Responsible unit"), required=False)
    responsible_person = forms.CharField(
        label=_("Responsible person"), required=False, max_length=50
    )

    COMPLAINT_ONLY = ("cause", "justified", "remedy", "responsible_unit", "responsible_person")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.order is not None and not self.order.is_complaint:
            for name in self.COMPLAINT_ONLY:
                del self.fields[name]
            return
        self.fields["cause"].queryset = _category_queryset(CategoryKind.CAUSE)
        self.fields["responsible_unit"].choices = _unit_choices(self.units, blank="—")
        # Complaint analysis counts both: a complaint is not resolved without them.
        self.fields["cause"].required = self.fields["justified"].required = True


class ReplyForm(ActionForm):
    reply = _text(_("Reply to the customer"), required=True, rows=4)


class TargetForm(ActionForm):
    """merge, link: the other order, by number."""

    target = forms.RegexField(
        label=_("Other work-order number"),
        regex=r"^[0-9A-Za-z-]{1,32}$",
        error_messages={"invalid": _("Enter a work-order number.")},
    )
    note = _text(_("Note"), required=False, rows=2)


class CoHandleForm(ActionForm):
    units = forms.MultipleChoiceField(
        label=_("Co-handling units"), widget=forms.SelectMultiple(attrs={"size": 6})
    )
    note = _text(_("Note"), required=False, rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = _unit_choices(self.units)


class CoHandleDoneForm(ActionForm):
    part = _text(_("What your unit did"), required=True)


class CorrectionForm(ActionForm):
    """更正: what intake got wrong. The customer by customer number, inside the scope."""

    order_type = forms.ModelChoiceField(
        label=_("Type"), queryset=WorkOrderType.objects.none(), empty_label=None
    )
    business_line = forms.ModelChoiceField(
        label=_("Business line"),
        queryset=BusinessLine.objects.none(),
        required=False,
        empty_label="—",
    )
    customer = forms.CharField(
        label=_("Customer number"),
        required=False,
        max_length=32,
        help_text=_("Empty: no customer record."),
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = _text(_("Description"), required=False, rows=4)

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["order_type"].queryset = WorkOrderType.objects.filter(is_active=True)
        self.fields["business_line"].queryset = BusinessLine.objects.filter(is_active=True)
        order = self.order
        if order is not None and not self.is_bound:
            self.initial.update(
                {
                    "order_type": order.order_type_id,
                    "business_line": order.business_line_id,
                    "customer": order.customer.code if order.customer_id else "",
                    "title": order.title,
                    "description": order.description,
                }
            )

    def clean_customer(self):
        from kefu.customers.selectors import customers_visible

        code = (self.cleaned_data.get("customer") or "").strip()
        if not code:
            return None
        customer = customers_visible(self.viewer).filter(code=code).first()
        if customer is None:
            raise forms.ValidationError(_("No such customer."))
        return customer


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "dispatch": DispatchForm,
    "accept": NoteForm,
    "transfer": TransferForm,
    "return": ReasonForm,
    "suspend": ReasonForm,
    "resume": NoteForm,
    "contact": NoteForm,
    "note": RequiredNoteForm,
    "resolve": ResolveForm,
    "reply": ReplyForm,
    "close": NoteForm,
    "cancel": ReasonForm,
    "urge": NoteForm,
    "supervise": NoteForm,
    "escalate": ReasonForm,
    "reopen": ReasonForm,
    "merge": TargetForm,
    "link": TargetForm,
    "co_handle": CoHandleForm,
    "co_handle_done": CoHandleDoneForm,
}

# Forms that need the unit list (the rest do not query for it).
UNIT_ACTIONS = frozenset({"dispatch", "transfer", "resolve", "co_handle"})


def action_form(action: str, *, order, units=(), data=None) -> ActionForm:
    """The form for one action, prefixed by its name so several fit on one page."""
    cls = ACTION_FORMS[action]
    return cls(
        data,
        prefix=action,
        order=order,
        units=units,
        initial={"version": order.version},
    )
