"""The rule tester 哪条规则会命中: kefu.workorders.routing.explain, for one viewer.

The matching itself is the router's (`routing.explain` over `routing.active_rules()` with
`routing.first_match`); this module only checks the area is the viewer's to test, hides
the rules outside their scope and words each failed criterion.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kefu.core.errors import ValidationFailed
from kefu.customers.models import ServiceTier
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.rules.services import dispatch_rule_in_reach
from kefu.workorders import routing
from kefu.workorders.capacity import OUTSIDE_SCOPE, unit_in_reach
from kefu.workorders.models import BusinessLine, DispatchRule, WorkOrderType

CRITERIA_LABELS = {
    "order_type": _("type differs"),
    "business_line": _("business line differs"),
    "area": _("area is outside the rule's area"),
    "tiers": _("customer tier not among the rule's tiers"),
}


@dataclass(frozen=True)
class Candidate:
    rule: DispatchRule
    failed: tuple[str, ...]
    wins: bool

    @property
    def reasons(self) -> list:
        return [CRITERIA_LABELS[c] for c in self.failed]


@dataclass(frozen=True)
class TesterResult:
    winner: DispatchRule | None  # None: the dispatch queue, or a rule hidden from the viewer
    routed_outside_scope: bool  # a rule outside the viewer's scope wins
    candidates: list[Candidate]  # the active rules the viewer may see, in matching order
    tier_label: str = ""


def explain_for(
    viewer,
    *,
    order_type: WorkOrderType,
    business_line: BusinessLine | None,
    area: OrgUnit,
    customer_tier: str,
) -> TesterResult:
    if not unit_in_reach(viewer, area):
        raise ValidationFailed.for_fields({"area": [str(OUTSIDE_SCOPE)]})
    probe = routing.Probe(
        order_type_id=order_type.pk,
        business_line_id=business_line.pk if business_line is not None else None,
        customer_tier=customer_tier,
    )
    result = routing.explain(probe, area)
    sees_all = scope_for(viewer).sees_all
    visible = [c for c in result.candidates if sees_all or dispatch_rule_in_reach(viewer, c.rule)]
    winner = result.winner
    hidden = winner is not None and not any(c.rule is winner for c in visible)
    return TesterResult(
        winner=None if hidden else winner,
        routed_outside_scope=hidden,
        candidates=[Candidate(c.rule, c.failed, c.wins) for c in visible],
        tier_label=str(dict(ServiceTier.choices).get(customer_tier, "")),
    )
