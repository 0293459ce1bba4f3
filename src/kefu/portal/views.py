"""Customer portal pages 客户自助门户 (mobile first). Signed in by an SMS code, the session
holds the phone proved — apart from staff sign-in: a staff session opens no portal page,
and a portal session no staff page. Every read goes through kefu.portal.selectors, which
only ever returns the signed-in customer's own orders (another's number answers 404)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.callbacks.models import Level
from kefu.callbacks.ratings import callback_answer_by_customer
from kefu.core.errors import NON_FIELD_KEYS, KefuError, NotFound, ValidationFailed, field_label
from kefu.core.http import client_ip
from kefu.core.masking import mask_phone
from kefu.portal import otp, selectors, services
from kefu.portal.selectors import PORTAL_TYPES
from kefu.web.paging import page_of
from kefu.workorders.models import BusinessLine, WorkOrderType

PHONE = "portal_phone"
PENDING = "portal_pending_phone"
# The page's own names of the fields a message may name (the rest: core FIELD_LABELS).
LABELS = {
    "phone": gettext_lazy("Mobile number"),
    "code": gettext_lazy("6-digit code"),
    "kind": gettext_lazy("What is it about?"),
    "business_line": gettext_lazy("Service"),
    "title": gettext_lazy("In a few words"),
    "description": gettext_lazy("Details"),
    "comment": gettext_lazy("Comment"),
    "level": gettext_lazy("How did we do?"),
}


def signed_in(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        phone = request.session.get(PHONE)
        if not phone:
            return redirect("portal:login")
        try:
            return view(request, phone, *args, **kwargs)
        except NotFound:
            raise Http404() from None

    return wrapper


def _errors(exc: KefuError) -> list[str]:
    """One line per message, each naming its field as the page labels it."""
    errors = exc.extra.get("errors") if isinstance(exc, ValidationFailed) else None
    if not errors:
        return [str(exc.message)]
    return [
        str(m)
        if field in NON_FIELD_KEYS
        else _("%(field)s: %(message)s") % {"field": field_label(field, LABELS), "message": m}
        for field, msgs in errors.items()
        for m in msgs
    ]


def _posted(request: HttpRequest, name: str) -> str:
    """A posted field as typed, without NUL characters (PostgreSQL stores none; no browser
    sends one). Lengths are the services' to check, naming the field."""
    return request.POST.get(name, "").replace("\x00", "")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number; the code goes out by SMS."""
    if request.session.get(PHONE):
        return redirect("portal:home")
    context, status = {"phone": ""}, 200
    if request.method == "POST":
        context["phone"] = _posted(request, "phone")[:30]
        try:
            phone = otp.otp_request(phone=context["phone"], ip=client_ip(request) or None)
        except KefuError as exc:
            context["errors"], status = _errors(exc), exc.status
        else:
            request.session[PENDING] = phone
            return redirect("portal:code")
    return render(request, "portal/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    """Step 2: the 6-digit code."""
    phone = request.session.get(PENDING)
    if not phone:
        return redirect("portal:login")
    context, status = {"masked": mask_phone(phone)}, 200
    if request.method == "POST":
        try:
            otp.otp_verify(phone=phone, code=_posted(request, "code")[:20])
        except KefuError as exc:
            context["errors"], status = _errors(exc), exc.status
        else:
            request.session.cycle_key()  # a new session id once signed in …
            rotate_token(request)  # … and a new CSRF token, as the staff sign-in does
            request.session.pop(PENDING, None)
            request.session[PHONE] = phone
            return redirect("portal:home")
    return render(request, "portal/code.html", context, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(PHONE, None)
    request.session.cycle_key()
    return redirect("portal:login")


@require_GET
@signed_in
def home(request: HttpRequest, phone: str) -> HttpResponse:
    page = page_of(selectors.portal_order_rows(phone), request.GET.get("page"))
    words = selectors.STATUS_WORDS
    rows = [(order, words.get(order.status, "")) for order in page.rows]
    context = {
        "page": page,
        "rows": rows,
        "masked": mask_phone(phone),
        "surveys": selectors.open_surveys(phone),
    }
    return render(request, "portal/home.html", context)


def _request_form_context(values: dict) -> dict:
    types = {t.code: t.name for t in WorkOrderType.objects.filter(code__in=PORTAL_TYPES)}
    return {
        "kinds": [(code, types[code]) for code in PORTAL_TYPES if code in types],
        "lines": BusinessLine.objects.filter(is_active=True).order_by("sort", "pk"),
        "values": values,
    }


@require_http_methods(["GET", "POST"])
@signed_in
def new_request(request: HttpRequest, phone: str) -> HttpResponse:
    """File a fault report, a complaint or a consultation."""
    values = {k: _posted(request, k) for k in ("kind", "title", "description", "business_line")}
    values["kind"] = values["kind"] or request.GET.get("kind", "fault")[:20]
    context, status = _request_form_context(values), 200
    if request.method == "POST":
        try:
            order = services.portal_request_create(phone=phone, **values)
        except KefuError as exc:
            context["errors"], status = _errors(exc), exc.status
        else:
            messages.success(
                request, _("Received. Your order number is %(n)s.") % {"n": order.number}
            )
            return redirect("portal:order", number=order.number)
    return render(request, "portal/new.html", context, status=status)


@require_GET
@signed_in
def order_page(request: HttpRequest, phone: str, number: str) -> HttpResponse:
    order = selectors.portal_order(phone, number)
    context = {
        "order": order,
        "status_words": selectors.STATUS_WORDS.get(order.status, ""),
        "steps": selectors.timeline(order),
        "rating": selectors.open_rating(order),
        "answered": order.callback_items.exclude(level="").order_by("-pk").first(),
        "levels": Level.choices,
    }
    return render(request, "portal/order.html", context)


@require_POST
@signed_in
def rate(request: HttpRequest, phone: str, number: str) -> HttpResponse:
    """评价: the customer's answer to the order's callback."""
    order = selectors.portal_order(phone, number)
    if selectors.open_rating(order) is None:
        messages.info(request, _("This order waits for no rating."))
        return redirect("portal:order", number=order.number)
    try:
        callback_answer_by_customer(
            customer=order.customer,
            order=order,
            level=_posted(request, "level"),
            comment=_posted(request, "comment"),
        )
    except KefuError as exc:
        for line in _errors(exc):
            messages.error(request, line)
    else:
        messages.success(request, _("Thank you for your answer."))
    return redirect("portal:order", number=order.number)
