"""access_log_list "from"/"to": calendar days in Asia/Shanghai, both ends included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from unittest import mock

import pytest

from kefu.core.errors import ValidationFailed
from kefu.customers import selectors, services_pii
from tests.factories import make_customer


def _reveal_at(moment: datetime, *, actor, customer):
    """A reveal logged at `moment` (the clock is the one outside system we replace)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        services_pii.customer_reveal(actor=actor, customer=customer)
    return customer.accesslog_set.latest("id")


@pytest.fixture
def entries(agent_a, org):
    customer = make_customer(actor=agent_a, org_unit=org["county_a1"])
    # 23:30 and 00:30 in Shanghai on either side of midnight: both on 1 March in UTC.
    late = _reveal_at(datetime(2026, 3, 1, 15, 30, tzinfo=UTC), actor=agent_a, customer=customer)
    early = _reveal_at(datetime(2026, 3, 1, 16, 30, tzinfo=UTC), actor=agent_a, customer=customer)
    later = _reveal_at(datetime(2026, 3, 4, 2, 0, tzinfo=UTC), actor=agent_a, customer=customer)
    return late, early, later


def _ids(viewer, **filters) -> set[int]:
    return set(
        selectors.access_log_list(viewer=viewer, filters=filters).values_list("pk", flat=True)
    )


def test_one_day_is_the_whole_shanghai_day(supervisor_a, entries):
    late, early, later = entries
    march_1 = date(2026, 3, 1)
    march_2 = date(2026, 3, 2)
    assert _ids(supervisor_a, **{"from": march_1, "to": march_1}) == {late.pk}
    assert _ids(supervisor_a, **{"from": march_2, "to": march_2}) == {early.pk}


def test_open_ended_ranges(supervisor_a, entries):
    late, early, later = entries
    assert _ids(supervisor_a, **{"from": date(2026, 3, 2)}) == {early.pk, later.pk}
    assert _ids(supervisor_a, to=date(2026, 3, 3)) == {late.pk, early.pk}


def test_iso_strings_are_accepted_and_empty_values_mean_no_filter(supervisor_a, entries):
    late, early, later = entries
    assert _ids(supervisor_a, **{"from": "2026-03-02", "to": "2026-03-04"}) == {
        early.pk,
        later.pk,
    }
    assert _ids(supervisor_a, **{"from": "", "to": None}) == {late.pk, early.pk, later.pk}


def test_dates_combine_with_the_other_filters_and_the_scope(supervisor_a, agent_b, org, entries):
    theirs = make_customer(actor=agent_b, org_unit=org["county_b1"])
    _reveal_at(datetime(2026, 3, 1, 16, 45, tzinfo=UTC), actor=agent_b, customer=theirs)
    late, early, later = entries
    day = {"from": "2026-03-02", "to": "2026-03-02"}
    assert _ids(supervisor_a, **day) == {early.pk}  # agent B's reveal is outside the scope
    assert _ids(supervisor_a, **day, action="export") == set()
    assert _ids(supervisor_a, **day, actor="agent_a") == {early.pk}


def test_bad_date_string_is_refused_naming_the_filter(supervisor_a, entries):
    with pytest.raises(ValidationFailed) as caught:
        _ids(supervisor_a, **{"from": "2026-02-30"})
    assert len(caught.value.extra["errors"]) == 1
