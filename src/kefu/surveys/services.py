"""Writes of surveys: build and revise a questionnaire (a version a campaign has used is
never edited: the revision is a new version), sample customers into a campaign, send,
remind, close, and record answers from the signed link or an agent's call.

Every write checks the actor's permission and points only at units and customers inside
their data scope: a campaign samples the customers the actor may see, nobody else.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kefu.customers.selectors import customers_visible
from kefu.notify.customer import customer_context
from kefu.notify.services import notify
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.surveys import links
from kefu.surveys.answers import checked_answers
from kefu.surveys.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Channel,
    Invitation,
    InvitationStatus,
    Question,
    QuestionKind,
    Survey,
    SurveyVersion,
)
from kefu.workorders.capacity import unit_in_reach

MANAGE = "surveys.manage_survey"
SAMPLE_MAX = 50_000
REMIND_GAP = dt.timedelta(hours=24)
STRATA = ("", "tier", "unit")


def _may_manage(actor, unit: OrgUnit | None) -> None:
    """A survey of no unit (a seeded template) is everyone's to run, but only a viewer of
    every unit edits it."""
    if not actor.has_perm(MANAGE):
        raise PermissionDenied()
    reach = unit_in_reach(actor, unit) if unit is not None else scope_for(actor).sees_all
    if not reach:
        raise NotFound()


# --- questionnaires ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    text: str
    kind: str
    section: str = ""
    choices: tuple[str, ...] = ()
    required: bool = True
    is_nps: bool = False
    tags: tuple[str, ...] = ()


def _checked_questions(specs: list[QuestionSpec]) -> None:
    errors: dict[str, list[str]] = {}
    if not specs:
        errors["questions"] = [_("Add at least one question.")]
    for n, spec in enumerate(specs, start=1):
        field = f"question {n}"
        if not spec.text.strip() or len(spec.text) > 300:
            errors[field] = [_("Write the question (at most 300 characters).")]
        elif spec.kind not in QuestionKind.values:
            errors[field] = [_("Choose a valid option.")]
        elif spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and not (
            2 <= len(spec.choices) <= 20
        ):
            errors[field] = [_("A choice question needs 2 to 20 choices.")]
        elif spec.is_nps and spec.kind != QuestionKind.SCORE_10:
            errors[field] = [_("Only a score question can be the NPS question.")]
    if errors:
        raise ValidationFailed.for_fields(errors)


def _write_questions(version: SurveyVersion, specs: list[QuestionSpec]) -> None:
    Question.objects.bulk_create(
        Question(
            version=version,
            position=n,
            section=spec.section.strip()[:60],
            kind=spec.kind,
            text=spec.text.strip(),
            choices=[c.strip()[:100] for c in spec.choices],
            required=spec.required,
            is_nps=spec.is_nps,
            tags=[t.strip()[:20] for t in spec.tags if t.strip()],
        )
        for n, spec in enumerate(specs, start=1)
    )


@transaction.atomic
def survey_create(
    *, actor, name: str, unit: OrgUnit, questions: list[QuestionSpec], tags=(), description=""
) -> Survey:
    if not actor.has_perm(MANAGE):
        raise PermissionDenied()
    if not unit_in_reach(actor, unit):
        raise ValidationFailed.for_fields({"unit": [_("Outside your data scope.")]})
    if not name.strip() or len(name) > 100:
        raise ValidationFailed.for_fields({"name": [_("This field is required.")]})
    _checked_questions(questions)
    now = timezone.now()
    survey = Survey.objects.create(
        name=name.strip(),
        description=description[:2000],
        tags=[t.strip()[:20] for t in tags if t.strip()],
        unit=unit,
        created_at=now,
    )
    _write_questions(
        SurveyVersion.objects.create(survey=survey, number=1, created_at=now), questions
    )
    return survey


@transaction.atomic
def survey_revise(*, actor, survey: Survey, questions: list[QuestionSpec]) -> SurveyVersion:
    """New questions: in place while no campaign has used the current version, else a new
    version (the running campaign keeps the one it was sent with)."""
    _may_manage(actor, survey.unit)
    _checked_questions(questions)
    current = SurveyVersion.objects.select_for_update().filter(survey=survey).order_by("-number")[0]
    if current.campaigns.exists():
        current = SurveyVersion.objects.create(
            survey=survey, number=current.number + 1, created_at=timezone.now()
        )
    else:
        current.questions.all().delete()
    _write_questions(current, questions)
    return current


# --- campaigns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    region: OrgUnit
    size: int
    tiers: tuple[str, ...] = ()
    product: str = ""
    stratify: str = ""  # "", "tier" or "unit"
    seed: int = 0


def _candidates(actor, sample: Sample) -> list[tuple[int, str, int, str]]:
    """(customer id, phone, unit id, stratum) of every customer the sample may draw."""
    customers = (
        customers_visible(actor)
        .filter(org_unit__path__startswith=sample.region.path)
        .exclude(phone="")
    )
    if sample.tiers:
        customers = customers.filter(tier__in=sample.tiers)
    if sample.product:
        customers = customers.filter(products__kind=sample.product).distinct()
    rows = customers.order_by("pk").values_list("pk", "phone", "org_unit_id", "tier")
    if sample.stratify == "tier":
        return [(pk, phone, unit, tier) for pk, phone, unit, tier in rows]
    if sample.stratify == "unit":
        return [(pk, phone, unit, str(unit)) for pk, phone, unit, _tier in rows]
    return [(pk, phone, unit, "") for pk, phone, unit, _tier in rows]


def drawn(candidates: list[tuple], size: int, seed: int) -> list[tuple]:
    """`size` of `candidates`, each stratum (the rows' last value) in its share of the
    whole (largest remainder), drawn with `seed`: the same sample on every run."""
    strata: dict[str, list[tuple]] = defaultdict(list)
    for row in candidates:
        strata[row[-1]].append(row)
    total, size = len(candidates), min(size, len(candidates))
    if not total:
        return []
    quotas = {k: size * len(v) / total for k, v in strata.items()}
    counts = {k: int(q) for k, q in quotas.items()}
    for k in sorted(quotas, key=lambda k: (counts[k] - quotas[k], k))[
        : size - sum(counts.values())
    ]:
        counts[k] += 1
    rng = random.Random(seed)
    picked = []
    for k in sorted(strata):
        picked += rng.sample(strata[k], counts[k])
    return picked


def _checked_sample(sample: Sample, actor) -> None:
    errors: dict[str, list[str]] = {}
    if not 1 <= sample.size <= SAMPLE_MAX:
        errors["size"] = [_("Between 1 and %(n)d.") % {"n": SAMPLE_MAX}]
    if sample.stratify not in STRATA:
        errors["stratify"] = [_("Choose a valid option.")]
    if not unit_in_reach(actor, sample.region):
        errors["region"] = [_("Outside your data scope.")]
    if errors:
        raise ValidationFailed.for_fields(errors)


@transaction.atomic
def campaign_create(
    *, actor, survey: Survey, name: str, channel: str, sample: Sample, expires_days: int = 7
) -> Campaign:
    """A draft campaign of the survey's current version and its sampled invitations."""
    if not actor.has_perm(MANAGE):
        raise PermissionDenied()
    if survey.unit is not None and not unit_in_reach(actor, survey.unit):
        raise NotFound()
    _checked_sample(sample, actor)
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Choose a valid option.")]
    if not name.strip() or len(name) > 100:
        errors["name"] = [_("This field is required.")]
    if not 1 <= expires_days <= 90:
        errors["expires_days"] = [_("Between 1 and %(n)d.") % {"n": 90}]
    if errors:
        raise ValidationFailed.for_fields(errors)
    now = timezone.now()
    criteria = {
        "region": sample.region.code,
        "size": sample.size,
        "tiers": list(sample.tiers),
        "product": sample.product,
        "stratify": sample.stratify,
        "seed": sample.seed,
    }
    campaign = Campaign.objects.create(
        version=survey.current,
        name=name.strip(),
        unit=sample.region,
        channel=channel,
        criteria=criteria,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_days),
    )
    Invitation.objects.bulk_create(
        Invitation(
            campaign=campaign,
            customer_id=pk,
            phone=phone,
            unit_id=unit,
            stratum=stratum[:40],
            nonce=secrets.token_hex(16),
        )
        for pk, phone, unit, stratum in drawn(_candidates(actor, sample), sample.size, sample.seed)
    )
    return campaign


def _locked(actor, campaign: Campaign, *allowed: str) -> Campaign:
    _may_manage(actor, campaign.unit)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in allowed:
        raise Conflict(_("The campaign is %(s)s.") % {"s": campaign.get_status_display()})
    return campaign


def _invite(invitation: Invitation, campaign: Campaign, questions: list[Question]) -> None:
    if campaign.channel == Channel.CALL:
        return  # the agents' call list holds it
    if campaign.channel == Channel.SMS:
        text = question_sms(questions[invitation.step], invitation.step, len(questions))
        context = customer_context(text=text)
        template = "survey_question"
    else:
        context = customer_context(survey=campaign.version.survey.name, link=links.link(invitation))
        template = "survey_invite"
    notify(
        template=template,
        context=context,
        addresses=[invitation.phone],
        channel="sms",
        dedupe_key=f"survey:{invitation.pk}:{invitation.step}:{invitation.reminded_at}",
    )


def question_sms(question: Question, index: int, count: int) -> str:
    """One question as the SMS sequence asks it, with what to reply."""
    if question.kind == QuestionKind.SCORE_10:
        hint = _("reply %(low)d–10") % {"low": question.low}
    elif question.kind == QuestionKind.LEVEL_3:
        hint = _("reply 1 very satisfied, 2 satisfied, 3 dissatisfied")
    elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        hint = "，".join(f"{n} {c}" for n, c in enumerate(question.choices, start=1))
    else:
        hint = _("reply in a few words")
    return f"（{index + 1}/{count}）{question.text}（{hint}）"


@transaction.atomic
def campaign_send(*, actor, campaign: Campaign) -> int:
    campaign = _locked(actor, campaign, CampaignStatus.DRAFT)
    questions = list(campaign.version.questions.all())
    now = timezone.now()
    pending = list(campaign.invitations.filter(status=InvitationStatus.PENDING))
    for invitation in pending:
        _invite(invitation, campaign, questions)
    campaign.invitations.update(sent_at=now)
    campaign.status, campaign.sent_at = CampaignStatus.SENT, now
    campaign.save(update_fields=["status", "sent_at"])
    return len(pending)


@transaction.atomic
def campaign_remind(*, actor, campaign: Campaign) -> int:
    """The unanswered again, at most once a day each."""
    campaign = _locked(actor, campaign, CampaignStatus.SENT)
    now = timezone.now()
    due = campaign.invitations.filter(status=InvitationStatus.PENDING).exclude(
        reminded_at__gt=now - REMIND_GAP
    )
    questions = list(campaign.version.questions.all())
    invitations = list(due)
    for invitation in invitations:
        invitation.reminded_at = now
        _invite(invitation, campaign, questions)
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(reminded_at=now)
    return len(invitations)


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    campaign = _locked(actor, campaign, CampaignStatus.DRAFT, CampaignStatus.SENT)
    campaign.invitations.filter(status=InvitationStatus.PENDING).update(
        status=InvitationStatus.EXPIRED
    )
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED, timezone.now()
    campaign.save(update_fields=["status", "closed_at"])
    return campaign


# --- answers ----------------------------------------------------------------------------------


def _store(invitation: Invitation, values: dict[int, list]) -> None:
    rows = []
    for question_id, items in values.items():
        for item in items:
            value, text = (item, "") if isinstance(item, int) else (None, item)
            rows.append(
                Answer(
                    invitation=invitation,
                    campaign_id=invitation.campaign_id,
                    question_id=question_id,
                    value=value,
                    text=text,
                )
            )
    Answer.objects.bulk_create(rows)


def _claim(invitation: Invitation) -> None:
    """Single use: only one submission turns a pending invitation into answered."""
    claimed = Invitation.objects.filter(
        pk=invitation.pk, status=InvitationStatus.PENDING, campaign__status=CampaignStatus.SENT
    ).update(status=InvitationStatus.ANSWERED, answered_at=timezone.now())
    if not claimed:
        raise links.LinkRefused(_("This survey has already been answered or is closed."))


@transaction.atomic
def answers_submit(*, invitation: Invitation, raw: dict[int, object]) -> Invitation:
    """All answers of one invitation from the link page, checked question by question
    (errors name the question), written in one transaction."""
    questions = list(invitation.campaign.version.questions.all())
    values = checked_answers(questions, raw)
    _claim(invitation)
    _store(invitation, values)
    return invitation


@transaction.atomic
def call_answers_record(*, actor, invitation: Invitation, raw: dict[int, object]) -> Invitation:
    """The answers an agent took down on the phone (call campaigns)."""
    if not actor.has_perm("surveys.call_survey"):
        raise PermissionDenied()
    if not unit_in_reach(actor, invitation.unit):
        raise NotFound()
    return answers_submit(invitation=invitation, raw=raw)
