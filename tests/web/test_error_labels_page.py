"""A service's error about a field the form does not show is written above the form,
naming the field by its label (所属区域), not its code (area_unit)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from kefu.workorders.models import WorkOrder, WorkOrderType


@pytest.mark.django_db
def test_an_error_above_the_form_names_the_field_by_its_label(client, org):
    """A superuser outside the org tree takes in an order with no customer: there is no
    area to put it in, and the page says so by the field's name."""
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    complaint = WorkOrderType.objects.get(code="consultation")
    page = client.post(
        "/workbench/",
        {
            "customer": "none",
            "order_type": str(complaint.pk),
            "channel": "hotline",
            "title": "咨询资费",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert page.status_code == 400
    errors = page.context["form"].non_field_errors()
    assert [e for e in errors if e.startswith("所属区域")], errors
    assert "area_unit" not in page.text
    assert "所属区域" in page.text
    assert not WorkOrder.objects.exists()
