"""满意度统计 page: the period's callback figures for the viewer's scope, with charts."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.callbacks.stats import GROUPS, callback_stats
from kefu.core.errors import NotFound
from kefu.org.selectors import org_units_visible
from kefu.web.errors import http_errors

PERMS = ("callbacks.handle_callback", "workorders.supervise_workorder")
BY_LABELS = {
    "unit": _("Responsible unit"),
    "type": _("Type"),
    "line": _("Business line"),
    "handler": _("Handler"),
    "agent": _("Accepting agent"),
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
}
PRESETS = {"day": _("Today"), "week": _("This week"), "month": _("This month")}


def _period(request: HttpRequest) -> tuple[str, dt.date, dt.date]:
    today = timezone.localdate()
    preset = request.GET.get("period", "")
    try:
        date_from = dt.date.fromisoformat(request.GET.get("from", ""))
        date_to = dt.date.fromisoformat(request.GET.get("to", ""))
        if date_to >= date_from and not preset:
            return "", date_from, date_to
    except ValueError:
        pass
    if preset == "day":
        return preset, today, today
    if preset == "week":
        start = today - dt.timedelta(days=today.weekday())
        return preset, start, start + dt.timedelta(days=6)
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return "month", start, end


@login_required
@http_errors
def stats_page(request: HttpRequest) -> HttpResponse:
    """满意度统计: counts per level, rate, coverage, timeliness, reasons, breakdowns."""
    user = request.user
    if not any(user.has_perm(p) for p in PERMS):
        raise PermissionDenied()
    preset, date_from, date_to = _period(request)
    units = list(org_units_visible(user))
    unit = None
    code = request.GET.get("unit", "")
    if code:
        unit = next((u for u in units if u.code == code), None)
        if unit is None:  # outside the viewer's scope, or no such unit
            raise NotFound()
    by = request.GET.get("by", "unit")
    by = by if by in GROUPS else "unit"
    period = {"date_from": date_from, "date_to": date_to, "unit": unit}
    stats = callback_stats(user, **period)
    grouped = callback_stats(user, by=by, reasons=False, **period).groups
    daily = (
        grouped if by == "day" else callback_stats(user, by="day", reasons=False, **period).groups
    )
    chart = {
        "groups": [g.label for g in grouped],
        "rate": [g.rate for g in grouped],
        "days": [g.label for g in daily],
        "daily_rate": [g.rate for g in daily],
        "daily_coverage": [g.coverage for g in daily],
        "levels": [stats.total.very_satisfied, stats.total.satisfied, stats.total.dissatisfied],
        "reasons": [name for name, _n in stats.reasons],
        "reason_counts": [n for _name, n in stats.reasons],
    }
    context = {
        "stats": stats,
        "groups": grouped,
        "by": by,
        "by_labels": BY_LABELS,
        "by_label": BY_LABELS[by],
        "presets": PRESETS,
        "preset": preset,
        "date_from": date_from,
        "date_to": date_to,
        "units": units,
        "unit": unit,
        "chart": chart,
    }
    return render(request, "callbacks/stats.html", context)
