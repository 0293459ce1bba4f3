"""The access-log page's date filters go through the selector: Shanghai calendar days."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

from django.urls import reverse

from kefu.customers import services_pii
from kefu.customers.models import AccessLog
from tests.factories import make_customer


def test_date_filters_select_whole_shanghai_days(client, supervisor_a, agent_a, org):
    customer = make_customer(actor=agent_a, org_unit=org["county_a1"])
    for moment in (
        datetime(2026, 3, 1, 15, 30, tzinfo=UTC),  # 23:30 on 1 March in Shanghai
        datetime(2026, 3, 1, 16, 30, tzinfo=UTC),  # 00:30 on 2 March in Shanghai
    ):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            services_pii.customer_reveal(actor=agent_a, customer=customer)
    late, early = AccessLog.objects.order_by("at")
    client.force_login(supervisor_a)
    response = client.get(
        reverse("customers:access_log"),
        {"date_from": "2026-03-02", "date_to": "2026-03-02"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="access-{early.pk}"' in response.text
    assert f'id="access-{late.pk}"' not in response.text
    assert "2026-03-02 00:30:00" in response.text  # shown in Shanghai time too
    response = client.get(reverse("customers:access_log"), {"date_to": "2026-03-01"})
    assert f'id="access-{late.pk}"' in response.text
    assert f'id="access-{early.pk}"' not in response.text
