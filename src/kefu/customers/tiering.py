"""Service tier and pyramid rules (pure: plain values in, plain values out).

Individuals: 钻/金/银/基础 by actual monthly consumption (001:76).
Gov-enterprise: level 1 (highest) to 5 by monthly consumption, in series A or B (1A–5B).
Pyramid: VIP/major/ordinary/small by revenue rank, never by usage count (001:202-204).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

INDIVIDUAL_TIERS = ("diamond", "gold", "silver", "basic")
GOV_LEVELS = ("1", "2", "3", "4", "5")
PYRAMID_LAYERS = ("vip", "major", "ordinary", "small")

DEFAULT_INDIVIDUAL_THRESHOLDS = {
    "diamond": Decimal("500"),
    "gold": Decimal("200"),
    "silver": Decimal("100"),
    "basic": Decimal("0"),
}
DEFAULT_GOV_THRESHOLDS = {
    "1": Decimal("50000"),
    "2": Decimal("20000"),
    "3": Decimal("5000"),
    "4": Decimal("1000"),
    "5": Decimal("0"),
}
# Cumulative share of customers, by revenue rank from the top, in each layer.
DEFAULT_PYRAMID_TOP_PERCENT = {
    "vip": Decimal("1"),
    "major": Decimal("5"),
    "ordinary": Decimal("50"),
    "small": Decimal("100"),
}
PYRAMID_TO_CLASS = {"vip": "A", "major": "A", "ordinary": "B", "small": "C"}


@dataclass(frozen=True)
class TierDecision:
    tier: str
    threshold: Decimal  # the minimum the customer met
    next_tier: str | None
    next_threshold: Decimal | None  # what the next tier up requires


def _pick(levels: tuple[str, ...], value: Decimal, thresholds: Mapping[str, Decimal]):
    ordered = sorted(levels, key=lambda lv: thresholds[lv], reverse=True)
    for index, level in enumerate(ordered):
        if value >= thresholds[level]:
            above = ordered[index - 1] if index else None
            return level, thresholds[level], above, thresholds[above] if above else None
    lowest = ordered[-1]
    above = ordered[-2] if len(ordered) > 1 else None
    return lowest, thresholds[lowest], above, thresholds[above] if above else None


def individual_tier(value: Decimal, thresholds: Mapping[str, Decimal]) -> TierDecision:
    return TierDecision(*_pick(INDIVIDUAL_TIERS, value, thresholds))


def gov_tier(value: Decimal, series: str, thresholds: Mapping[str, Decimal]) -> TierDecision:
    level, minimum, above, above_min = _pick(GOV_LEVELS, value, thresholds)
    return TierDecision(
        f"{level}{series}", minimum, f"{above}{series}" if above else None, above_min
    )


def pyramid_layer(value: Decimal, min_values: Mapping[str, Decimal | None]) -> str:
    """Layer for one value given each layer's minimum from the last ranking."""
    for layer in PYRAMID_LAYERS[:-1]:
        minimum = min_values.get(layer)
        if minimum is not None and value >= minimum:
            return layer
    return "small"


def pyramid_rank_positions(total: int, top_percent: Mapping[str, Decimal]) -> dict[str, int]:
    """How many top-ranked customers fall inside each layer's cumulative share (≥1 if any)."""
    positions = {}
    for layer in PYRAMID_LAYERS:
        share = top_percent[layer] / Decimal(100)
        count = int((share * total).to_integral_value(rounding="ROUND_CEILING"))
        positions[layer] = min(total, count)
    return positions
