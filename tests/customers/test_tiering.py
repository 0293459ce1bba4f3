"""Tier and pyramid rules (pure)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kefu.customers import tiering

IND = tiering.DEFAULT_INDIVIDUAL_THRESHOLDS
GOV = tiering.DEFAULT_GOV_THRESHOLDS
money = st.decimals(min_value=0, max_value=10**6, places=2)


def test_individual_tier_boundaries():
    assert tiering.individual_tier(Decimal("500"), IND).tier == "diamond"
    assert tiering.individual_tier(Decimal("499.99"), IND).tier == "gold"
    assert tiering.individual_tier(Decimal("100"), IND).tier == "silver"
    assert tiering.individual_tier(Decimal("0"), IND).tier == "basic"


def test_decision_explains_the_next_tier():
    decision = tiering.individual_tier(Decimal("150"), IND)
    assert (decision.tier, decision.threshold) == ("silver", Decimal("100"))
    assert (decision.next_tier, decision.next_threshold) == ("gold", Decimal("200"))
    assert tiering.individual_tier(Decimal("900"), IND).next_tier is None


def test_gov_levels_carry_their_series():
    assert tiering.gov_tier(Decimal("60000"), "A", GOV).tier == "1A"
    assert tiering.gov_tier(Decimal("1000"), "B", GOV).tier == "4B"
    assert tiering.gov_tier(Decimal("10"), "B", GOV).next_tier == "4B"


def test_configured_thresholds_change_the_tier():
    stricter = {**IND, "gold": Decimal("300")}
    assert tiering.individual_tier(Decimal("250"), stricter).tier == "silver"


@given(money, money)
def test_more_consumption_never_lowers_the_tier(a, b):
    order = list(tiering.INDIVIDUAL_TIERS)
    low, high = sorted([a, b])
    assert order.index(tiering.individual_tier(high, IND).tier) <= order.index(
        tiering.individual_tier(low, IND).tier
    )


@given(st.integers(min_value=1, max_value=10**7))
def test_rank_positions_are_cumulative_and_cover_everyone(total):
    positions = tiering.pyramid_rank_positions(total, tiering.DEFAULT_PYRAMID_TOP_PERCENT)
    assert positions["vip"] <= positions["major"] <= positions["ordinary"]
    assert positions["small"] == total and positions["vip"] >= 1


def test_pyramid_layer_uses_last_ranking_minimums():
    mins = {"vip": Decimal("900"), "major": Decimal("300"), "ordinary": Decimal("50")}
    assert tiering.pyramid_layer(Decimal("950"), mins) == "vip"
    assert tiering.pyramid_layer(Decimal("300"), mins) == "major"
    assert tiering.pyramid_layer(Decimal("49"), mins) == "small"
    assert tiering.pyramid_layer(Decimal("1"), {}) == "small"
