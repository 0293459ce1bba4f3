"""Survey pages: the list, the builder, one survey with its campaigns, a campaign's
results (Plotly, shipped locally) and raw-answer export, the agents' call list, and the
respondent's page behind the signed link `/s/<token>/` (no login)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.errors import KefuError, NotFound, ValidationFailed
from kefu.customers.models import ProductKind, ServiceTier
from kefu.org.selectors import org_units_visible
from kefu.surveys import links, selectors, services
from kefu.surveys.export import answers_xlsx
from kefu.surveys.models import Channel, QuestionKind
from kefu.surveys.results import survey_results
from kefu.web.errors import http_errors

MANAGE = "surveys.manage_survey"
ROWS = 12


def _errors(exc: KefuError) -> dict:
    return exc.extra.get("errors") or {"__all__": [exc.message]}


def _specs(post) -> list[services.QuestionSpec]:
    specs = []
    for n in range(ROWS):
        text = post.get(f"q{n}_text", "").strip()
        if not text:
            continue
        specs.append(
            services.QuestionSpec(
                text=text[:400],
                kind=post.get(f"q{n}_kind", ""),
                section=post.get(f"q{n}_section", "")[:60],
                choices=tuple(
                    c for c in post.get(f"q{n}_choices", "")[:2000].splitlines() if c.strip()
                ),
                required=post.get(f"q{n}_required") == "on",
                is_nps=post.get(f"q{n}_nps") == "on",
                tags=tuple(post.get(f"q{n}_tags", "")[:200].replace("，", ",").split(",")),
            )
        )
    return specs


def _rows(questions) -> list[dict]:
    rows = [
        {
            "text": q.text,
            "kind": q.kind,
            "section": q.section,
            "choices": "\n".join(q.choices),
            "required": q.required,
            "nps": q.is_nps,
            "tags": ",".join(q.tags),
        }
        for q in questions
    ]
    return rows + [{"required": True} for _ in range(ROWS - len(rows))]


@login_required
@permission_required(MANAGE, raise_exception=True)
def survey_list(request: HttpRequest) -> HttpResponse:
    context = {
        "surveys": selectors.surveys_visible(request.user)[:100],
        "campaigns": selectors.campaigns_visible(request.user)[:50],
    }
    return render(request, "surveys/list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(MANAGE, raise_exception=True)
@http_errors
def survey_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The builder: a new survey, or new questions for one (a new version once used)."""
    survey = selectors.survey_get(request.user, pk) if pk else None
    if survey is not None and not selectors.survey_editable(request.user, survey):
        raise NotFound()
    units = org_units_visible(request.user)
    context = {"survey": survey, "units": units, "kinds": QuestionKind.choices, "status": 200}
    if request.method == "POST":
        specs = _specs(request.POST)
        try:
            if survey is None:
                unit = units.filter(pk=_int(request.POST.get("unit"))).first()
                if unit is None:
                    raise ValidationFailed.for_fields({"unit": [_("Choose a valid option.")]})
                survey = services.survey_create(
                    actor=request.user,
                    name=request.POST.get("name", "")[:200],
                    unit=unit,
                    questions=specs,
                    tags=request.POST.get("tags", "")[:200].replace("，", ",").split(","),
                )
            else:
                services.survey_revise(actor=request.user, survey=survey, questions=specs)
        except KefuError as exc:
            context.update(errors=_errors(exc), status=exc.status, rows=_rows([]))
            context["values"] = request.POST
            return render(request, "surveys/edit.html", context, status=exc.status)
        messages.success(request, _("Survey saved."))
        return redirect("surveys:survey", pk=survey.pk)
    context["rows"] = _rows(survey.current.questions.all() if survey else [])
    return render(request, "surveys/edit.html", context)


def _int(value) -> int:
    return int(value) if str(value or "").isdigit() and len(str(value)) < 12 else 0


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(MANAGE, raise_exception=True)
@http_errors
def survey_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One survey: its questions, and a new campaign to a sample of customers."""
    survey = selectors.survey_get(request.user, pk)
    units = org_units_visible(request.user)
    context = {
        "survey": survey,
        "version": survey.current,
        "questions": survey.current.questions.all(),
        "units": units,
        "channels": Channel.choices,
        "tiers": ServiceTier.choices,
        "products": ProductKind.choices,
        "campaigns": selectors.campaigns_visible(request.user).filter(version__survey=survey),
        "can_edit": selectors.survey_editable(request.user, survey),
    }
    if request.method == "POST":
        post = request.POST
        region = units.filter(pk=_int(post.get("region"))).first()
        try:
            if region is None:
                raise ValidationFailed.for_fields({"region": [_("Choose a valid option.")]})
            campaign = services.campaign_create(
                actor=request.user,
                survey=survey,
                name=post.get("name", "")[:200],
                channel=post.get("channel", ""),
                sample=services.Sample(
                    region=region,
                    size=_int(post.get("size")),
                    tiers=tuple(post.getlist("tiers"))[:10],
                    product=post.get("product", "")[:20],
                    stratify=post.get("stratify", ""),
                    seed=_int(post.get("seed")),
                ),
                expires_days=_int(post.get("expires_days")) or 7,
            )
        except KefuError as exc:
            context["errors"] = _errors(exc)
            return render(request, "surveys/survey.html", context, status=exc.status)
        return redirect("surveys:campaign", pk=campaign.pk)
    return render(request, "surveys/survey.html", context)


@login_required
@permission_required(MANAGE, raise_exception=True)
@http_errors
def campaign_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    results = survey_results(campaign)
    charts = [
        {
            "id": f"chart-{r.question.pk}",
            "data": json.dumps(
                [
                    {
                        "type": "bar",
                        "x": [label for label, _n in r.distribution()],
                        "y": [n for _label, n in r.distribution()],
                    }
                ],
                ensure_ascii=False,
            ),
        }
        for r in results.questions
        if r.question.kind != QuestionKind.TEXT
    ]
    context = {"campaign": campaign, "results": results, "charts": charts}
    return render(request, "surveys/campaign.html", context)


@require_POST
@login_required
@permission_required(MANAGE, raise_exception=True)
@http_errors
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    do = {
        "send": services.campaign_send,
        "remind": services.campaign_remind,
        "close": services.campaign_close,
    }.get(action)
    if do is None:
        return HttpResponse(status=404)
    do(actor=request.user, campaign=campaign)
    messages.success(request, _("Done."))
    return redirect("surveys:campaign", pk=campaign.pk)


@login_required
@permission_required(MANAGE, raise_exception=True)
@http_errors
def campaign_export(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    body = answers_xlsx(campaign, clear_phone=request.user.has_perm("customers.view_pii"))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{campaign.pk}.xlsx"'
    return response


@login_required
@permission_required("surveys.call_survey", raise_exception=True)
def call_list(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/calls.html", {"calls": selectors.call_list(request.user)[:200]})


def _raw(post, questions) -> dict:
    return {
        q.pk: (
            post.getlist(f"q{q.pk}")
            if q.kind == QuestionKind.MULTIPLE
            else post.get(f"q{q.pk}", "")
        )
        for q in questions
    }


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("surveys.call_survey", raise_exception=True)
@http_errors
def call_page(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.call_get(request.user, pk)
    questions = list(invitation.campaign.version.questions.all())
    context = {"invitation": invitation, "questions": questions, "call": True}
    if request.method == "POST":
        try:
            services.call_answers_record(
                actor=request.user, invitation=invitation, raw=_raw(request.POST, questions)
            )
        except KefuError as exc:
            context["errors"] = _errors(exc)
            return render(request, "surveys/answer.html", context, status=exc.status)
        messages.success(request, _("Answers recorded."))
        return redirect("surveys:calls")
    return render(request, "surveys/answer.html", context)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """问卷: the respondent's page behind the signed link. It shows the questions only."""
    try:
        invitation = links.invitation_for(token[:500])
    except links.LinkRefused as exc:
        return render(request, "surveys/answer.html", {"refused": exc.message}, status=410)
    if invitation is None:
        context = {"refused": _("This survey link is not valid.")}
        return render(request, "surveys/answer.html", context, status=404)
    questions = list(invitation.campaign.version.questions.all())
    context = {"invitation": invitation, "questions": questions}
    if request.method == "POST":
        try:
            services.answers_submit(invitation=invitation, raw=_raw(request.POST, questions))
        except KefuError as exc:
            context["errors"], context["values"] = _errors(exc), request.POST
            return render(request, "surveys/answer.html", context, status=exc.status)
        return render(request, "surveys/answer.html", {"thanks": True})
    return render(request, "surveys/answer.html", context)
