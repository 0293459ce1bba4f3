"""Sign-in and the home dashboard."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kefu.customers.forms import CustomerSearchForm
from kefu.customers.selectors import customer_tier_counts
from kefu.org.selectors import role_assignments_of
from kefu.web.forms import ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    """Django's login with throttling per (username, client IP); see kefu.web.throttle."""

    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """首页: who I am, where I sit, what I may see, and my customers by tier."""
    user = request.user
    staff = getattr(user, "staff", None) if hasattr(user, "staff") else None
    can_customers = user.has_perm("customers.view_customer")
    tier_counts = customer_tier_counts(user) if can_customers else []
    context = {
        "staff": staff,
        "assignments": list(role_assignments_of(user)),
        "tier_counts": tier_counts,
        "customer_total": sum(n for _, n in tier_counts),
        "can_customers": can_customers,
        "search_form": CustomerSearchForm() if can_customers else None,
        "missing_calendar_years": _missing_calendar_years(user),
    }
    return render(request, "web/home.html", context)


def _missing_calendar_years(user) -> list[tuple[str, int]]:
    """For administrators and supervisors: the calendar years the time limits need but
    nobody has entered (this year; from 1 November also next year)."""
    if not (
        user.has_perm("calendars.add_calendarday")
        or user.has_perm("workorders.supervise_workorder")
    ):
        return []
    from kefu.sla.selectors import missing_calendar_years

    return missing_calendar_years()
