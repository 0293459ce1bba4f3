"""Reads of surveys inside the viewer's data scope: surveys of their units (and the
templates, which have none), campaigns by their sampled region, call invitations by the
customer's unit."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kefu.core.errors import NotFound
from kefu.org.scope import scope_filter, scope_for
from kefu.surveys.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Invitation,
    InvitationStatus,
    Survey,
)


def surveys_visible(viewer) -> QuerySet[Survey]:
    return Survey.objects.filter(Q(unit__isnull=True) | scope_filter(viewer, unit_field="unit"))


def survey_get(viewer, pk: int) -> Survey:
    survey = surveys_visible(viewer).filter(pk=pk).first()
    if survey is None:
        raise NotFound()
    return survey


def survey_editable(viewer, survey: Survey) -> bool:
    """A template (no unit) is everyone's to run, but only a viewer of every unit edits it."""
    return survey.unit_id is not None or scope_for(viewer).sees_all


def campaigns_visible(viewer) -> QuerySet[Campaign]:
    return Campaign.objects.filter(scope_filter(viewer, unit_field="unit")).select_related(
        "version__survey", "unit"
    )


def campaign_get(viewer, pk: int) -> Campaign:
    campaign = campaigns_visible(viewer).filter(pk=pk).first()
    if campaign is None:
        raise NotFound()
    return campaign


def call_list(viewer) -> QuerySet[Invitation]:
    """外呼调查: call-channel invitations waiting, of customers in the viewer's scope."""
    return (
        Invitation.objects.filter(scope_filter(viewer, unit_field="unit"))
        .filter(
            status=InvitationStatus.PENDING,
            campaign__channel=Channel.CALL,
            campaign__status=CampaignStatus.SENT,
        )
        .select_related("customer", "campaign__version__survey")
        .order_by("campaign__sent_at", "pk")
    )


def call_get(viewer, pk: int) -> Invitation:
    invitation = call_list(viewer).filter(pk=pk).first()
    if invitation is None:
        raise NotFound()
    return invitation
