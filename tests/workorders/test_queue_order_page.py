"""The queue pages: most urgent first, and column headers that sort (htmx or not) while
keeping the filters."""

from __future__ import annotations

import html
import re

import pytest

from kefu.workorders.models import WorkOrder
from tests.workorders.queue_scenario import build_queue, expected_ids

HTMX = {"HX-Request": "true"}


def _rows(text: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="wo-(\d+)"', text)]


def _sort_href(text: str, key: str) -> str:
    match = re.search(rf'id="sort-{key}" href="([^"]+)"', text)
    assert match, key
    return html.unescape(match.group(1))


@pytest.mark.parametrize("queue", ["dispatch", "mine", "unit", "open", "warning", "overdue"])
def test_each_queue_page_lists_the_most_urgent_first(
    queue, client, org, agent_a, supervisor_a, dispatcher_a, handler_a1, customer_a1
):
    orders = build_queue(
        queue,
        agent=agent_a,
        customer=customer_a1,
        dispatcher=dispatcher_a,
        unit=org["team_a1"],
        handler=handler_a1,
    )
    client.force_login(handler_a1 if queue in ("mine", "unit") else supervisor_a)
    page = client.get("/workorders/", {"queue": queue})
    assert _rows(page.text) == expected_ids(orders)
    assert 'aria-sort="ascending"' in page.text.split('id="sort-due_at"')[0].rsplit("<th", 1)[1]


def test_clicking_a_header_sorts_and_keeps_the_filters(client, agent_a, supervisor_a, customer_a1):
    orders = build_queue("dispatch", agent=agent_a, customer=customer_a1)
    ids = [o.pk for o in orders]
    client.force_login(supervisor_a)
    page = client.get("/workorders/", {"queue": "dispatch", "type": "complaint", "page": "1"})
    # Time limit is the current sort: its header reverses it.
    href = _sort_href(page.text, "due_at")
    assert "ordering=-due_at" in href and "type=complaint" in href and "page=" not in href
    reversed_page = client.get("/workorders/" + href, headers=HTMX)
    assert "<html" not in reversed_page.text  # htmx: only the rows are swapped
    assert _rows(reversed_page.text) == expected_ids(orders)[::-1]
    # The sort in force rides along with the filter form.
    assert 'name="ordering" value="-due_at" form="wo-filters"' in reversed_page.text
    # Accept time: newest first on the first click, without htmx too.
    by_time = client.get("/workorders/" + _sort_href(page.text, "created_at"))
    assert _rows(by_time.text) == ids[::-1]
    assert "<html" in by_time.text


def test_the_pager_keeps_the_sort_and_pages_never_repeat_a_row(
    client, monkeypatch, agent_a, supervisor_a, customer_a1
):
    monkeypatch.setattr("kefu.web.paging.PAGE_SIZE", 2)
    orders = build_queue("dispatch", agent=agent_a, customer=customer_a1)
    ids = [o.pk for o in orders]
    WorkOrder.objects.filter(pk__in=ids[2:]).update(due_at=orders[0].due_at)  # ties
    client.force_login(supervisor_a)
    wanted = [o.pk for o in WorkOrder.objects.filter(pk__in=ids).order_by("-due_at", "-id")]
    seen, query = [], "?queue=dispatch&ordering=-due_at"
    while query:
        page = client.get("/workorders/" + query, headers=HTMX)
        seen += _rows(page.text)
        match = re.search(r'id="page-next" href="([^"]+)"', page.text)
        query = html.unescape(match.group(1)) if match else ""
        assert not query or "ordering=-due_at" in query
    assert seen == wanted


def test_an_unknown_sort_on_the_page_falls_back_to_the_queue_order(
    client, agent_a, supervisor_a, customer_a1
):
    orders = build_queue("dispatch", agent=agent_a, customer=customer_a1)
    client.force_login(supervisor_a)
    page = client.get("/workorders/", {"queue": "dispatch", "ordering": "customer__phone"})
    assert page.status_code == 200
    assert _rows(page.text) == expected_ids(orders)
