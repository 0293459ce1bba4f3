"""An order address that is not a number names no order — a NUL byte included, which
PostgreSQL cannot even compare (it was a 500 there)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD


@pytest.mark.parametrize("number", ["%00", "2025%000001", "abc", "１２３"])
def test_a_number_that_is_not_digits_is_404_on_the_page_and_the_api(
    client, client_for, agent_a, number
):
    client.login(username=agent_a.username, password=PASSWORD)
    assert client.get(f"/workorders/{number}/").status_code == 404
    assert client_for(agent_a).get(f"/api/v1/work-orders/{number}/").status_code == 404
