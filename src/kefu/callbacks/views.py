"""Callback pages: the customer's answer page behind the signed SMS link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kefu.callbacks import outcomes, services
from kefu.callbacks.models import Level
from kefu.core.errors import KefuError


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """回访评价: no login — the signed link is the customer's key to this one callback.
    It shows the orders' numbers and titles only, no personal data."""
    task = services.link_task(token)
    if task is None:
        return render(request, "callbacks/answer.html", {"invalid": True}, status=404)
    context = {"task": task, "items": task.items.select_related("order"), "levels": Level}
    if request.method == "POST":
        try:
            outcomes.callback_answer_by_link(
                task=task,
                level=request.POST.get("level", ""),
                comment=request.POST.get("comment", ""),
            )
        except KefuError as exc:
            context["error"] = exc.message
            return render(request, "callbacks/answer.html", context, status=exc.status)
        context["thanks"] = True
    elif not task.is_open or task.follow_up:
        context["used"] = True
    return render(request, "callbacks/answer.html", context)
