"""Demo data: deterministic, valid Chinese customers over an idempotent demo org."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core import cn_validation as cnv
from kefu.customers import selectors
from kefu.customers.demo_data import USCC_CHARS, USCC_WEIGHTS, Place, customer_rows
from kefu.customers.models import Customer
from kefu.customers.validation import clean_customer_fields
from kefu.org.demo import DEMO_PASSWORD, demo_geography
from kefu.org.models import OrgLevel, OrgUnit, RoleAssignment

PLACES = [Place(code, *geo) for code, geo in sorted(demo_geography().items())]


def test_same_seed_gives_the_same_customers_and_another_seed_others():
    first = list(customer_rows(300, seed=42, places=PLACES))
    assert first == list(customer_rows(300, seed=42, places=PLACES))
    assert first != list(customer_rows(300, seed=43, places=PLACES))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_every_generated_customer_passes_the_archive_rules(seed):
    for row in customer_rows(40, seed=seed, places=PLACES):
        cleaned, errors = clean_customer_fields(row)
        assert errors == {}, (row, errors)
        if row["kind"] == "个人":
            assert cnv.normalize_id_number(row["id_number"]) == row["id_number"]
        else:
            code = row["id_number"]
            total = sum(
                USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True)
            )
            assert USCC_CHARS[(31 - total % 31) % 31] == code[17]
        city = next(p.city for p in PLACES if p.unit_code == row["org_unit"])
        assert row["address"].startswith(city)
        assert len(row["product_kind"].split(";")) == len(row["account_number"].split(";"))


def test_value_spread_is_realistic():
    rows = list(customer_rows(5000, seed=7, places=PLACES))
    kinds = Counter(r["kind"] for r in rows)
    assert 0.03 < kinds["政企"] / len(rows) < 0.08
    values = [float(r["monthly_value"]) for r in rows if r["kind"] == "个人"]
    basic = sum(v < 100 for v in values) / len(values)
    diamond = sum(v >= 500 for v in values) / len(values)
    assert basic > 0.6 and 0 < diamond < 0.02
    series = Counter(r["gov_series"] for r in rows if r["kind"] == "政企")
    assert series["A"] and series["B"] > series["A"]


@pytest.mark.django_db
def test_demo_command_seeds_org_staff_and_customers_once(capsys):
    call_command("demo", customers=120, seed=3, no_progress=True)
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and "agent_jn0101" in out
    levels = Counter(OrgUnit.objects.values_list("level", flat=True))
    assert levels[OrgLevel.PROVINCE] == 1 and levels[OrgLevel.PREFECTURE] == 4
    assert levels[OrgLevel.COUNTY] == 12
    assert levels[OrgLevel.DEPARTMENT] == 24 and levels[OrgLevel.TEAM] == 24
    agent = get_user_model().objects.get(username="agent_jn0101")
    assert agent.check_password(DEMO_PASSWORD)
    assignment = RoleAssignment.objects.get(user=agent)
    assert (assignment.role.code, assignment.org_unit.code) == ("agent", "JN0101")
    first = list(Customer.objects.order_by("id").values_list("name", "phone", "org_unit__code"))

    call_command("demo", customers=120, seed=3, no_progress=True)
    assert "agent_jn0101" not in capsys.readouterr().out
    assert OrgUnit.objects.count() == 1 + 4 + 12 * 5
    # Same seed, same people: already on file (by ID number), so none is added twice.
    again = list(Customer.objects.order_by("id").values_list("name", "phone", "org_unit__code"))
    assert again == first
    call_command("demo", customers=120, seed=4, no_progress=True)
    codes = list(Customer.objects.values_list("code", flat=True))
    assert len(codes) > 200 and len(codes) == len(set(codes))


@pytest.mark.django_db
def test_demo_agent_sees_only_their_countys_customers():
    call_command("demo", customers=300, seed=11, no_progress=True)
    agent = get_user_model().objects.get(username="agent_jn0203")
    visible = selectors.customer_list(viewer=agent)
    assert visible.exists()
    assert set(visible.values_list("org_unit__code", flat=True)) == {"JN0203"}
    tiers = Counter(Customer.objects.values_list("tier", flat=True))
    assert tiers["basic"] > tiers["silver"] > tiers["gold"] >= tiers["diamond"]
