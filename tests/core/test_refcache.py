"""Reference data cached per process: read once, dropped the moment this process edits it."""

from __future__ import annotations

import pytest

from kefu.core.refcache import ProcessCached
from kefu.workorders.models import BusinessLine
from kefu.workorders.selectors import active_business_lines


@pytest.mark.django_db
def test_an_edit_in_this_process_is_seen_by_the_next_read(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert "broadband" in active_business_lines()
        assert "broadband" in active_business_lines()  # no second query
    BusinessLine.objects.filter(code="broadband").get().delete()
    assert "broadband" not in active_business_lines()
    BusinessLine.objects.create(code="smart-home", name="智慧家庭")
    assert active_business_lines()["smart-home"].name == "智慧家庭"


@pytest.mark.django_db
def test_a_value_older_than_its_lifetime_is_read_again():
    loads = []
    cached = ProcessCached(lambda: loads.append(1) or len(loads), models=(), seconds=0)
    assert (cached(), cached()) == (1, 2)  # what other processes edited shows up
