"""The queues through the API: most urgent first (overdue on top, earliest due time next,
no due time last), `ordering=` for the other sorts, and pages that never repeat a row."""

from __future__ import annotations

import pytest

from kefu.workorders.models import WorkOrder
from tests.workorders.queue_scenario import build_queue, expected_ids

URL = "/api/v1/work-orders/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("queue", ["dispatch", "mine", "unit", "open", "warning", "overdue"])
def test_each_queue_lists_the_most_urgent_first(
    queue, client_for, org, agent_a, supervisor_a, dispatcher_a, handler_a1, customer_a
):
    orders = build_queue(
        queue,
        agent=agent_a,
        customer=customer_a,
        dispatcher=dispatcher_a,
        unit=org["team_a1"],
        handler=handler_a1,
    )
    viewer = handler_a1 if queue in ("mine", "unit") else supervisor_a
    client = client_for(viewer)
    assert _ids(client.get(URL, {"queue": queue})) == expected_ids(orders)
    # The column sort reversed is the exact reverse (no due time first, then latest due).
    reverse = _ids(client.get(URL, {"queue": queue, "ordering": "-due_at"}))
    assert reverse == expected_ids(orders)[::-1]


def test_other_sorts_and_the_default_of_the_history_queues(
    client_for, org, agent_a, supervisor_a, customer_a
):
    orders = build_queue("dispatch", agent=agent_a, customer=customer_a)
    ids = [o.pk for o in orders]
    WorkOrder.objects.filter(pk=ids[0]).update(status="in_progress")
    client = client_for(supervisor_a)
    # Everything I took in / everything: a history, newest first, as before.
    assert _ids(client.get(URL, {"queue": "all"})) == ids[::-1]
    assert _ids(client.get(URL, {"queue": "accepted_by_me"})) == []
    assert _ids(client_for(agent_a).get(URL, {"queue": "accepted_by_me"})) == ids[::-1]
    assert _ids(client.get(URL, {"queue": "all", "ordering": "created_at"})) == ids
    assert _ids(client.get(URL, {"queue": "all", "ordering": "due_at"})) == expected_ids(orders)
    numbers = sorted(ids, key=lambda pk: WorkOrder.objects.get(pk=pk).number, reverse=True)
    assert _ids(client.get(URL, {"queue": "all", "ordering": "-number"})) == numbers
    by_status = _ids(client.get(URL, {"queue": "all", "ordering": "status"}))
    assert by_status == [*ids[:0:-1], ids[0]]  # accepted before in_progress, newest first


def test_an_unknown_ordering_is_a_400_naming_the_field(client_for, supervisor_a):
    client = client_for(supervisor_a)
    for bad in ("title", "-customer__phone", "due_at,id", "--due_at"):
        response = client.get(URL, {"queue": "dispatch", "ordering": bad})
        assert response.status_code == 400, bad
        body = response.json()
        assert body["code"] == "validation_failed"
        assert list(body["extra"]["errors"]) == ["ordering"]


def test_pages_of_one_due_time_neither_repeat_nor_skip_an_order(
    client_for, org, agent_a, supervisor_a, customer_a
):
    orders = build_queue("dispatch", agent=agent_a, customer=customer_a)
    ids = [o.pk for o in orders]
    WorkOrder.objects.filter(pk__in=ids).update(due_at=WorkOrder.objects.get(pk=ids[0]).due_at)
    client = client_for(supervisor_a)
    seen = []
    for page in (1, 2, 3):
        seen += _ids(client.get(URL, {"queue": "dispatch", "page_size": 2, "page": page}))
    assert seen == ids
