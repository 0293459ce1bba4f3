"""Reads for the home dashboard, built on the apps' scoped selectors."""

from __future__ import annotations

from django.db.models import Count

from kefu.customers.models import ServiceTier
from kefu.customers.selectors import customers_visible


def dashboard_tier_counts(viewer) -> list[tuple[str, int]]:
    """(effective tier, customers) inside the viewer's scope, in tier order; one query."""
    counts: dict[str, int] = {}
    rows = (
        customers_visible(viewer)
        .order_by()
        .values_list("tier", "tier_override")
        .annotate(n=Count("id"))
    )
    for tier, override, n in rows:
        effective = override or tier
        counts[effective] = counts.get(effective, 0) + n
    return [(tier, counts[tier]) for tier in ServiceTier.values if tier in counts]
