"""schemathesis against /api/schema/: no server error anywhere, every response as documented.

Every operation of the schema is called with generated data (GET, POST and PATCH alike) as
an administrator, through the WSGI app on the test database. Generated ids rarely exist, so
most path ids are mapped onto real records: the writes then reach the services instead of
stopping at 404. 4xx answers are fine as long as they are documented and shaped as
documented.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationConfig
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kefu.customers import services_pii
from kefu.customers.models import Customer
from kefu.org.models import OrgUnit, Role, StaffProfile
from tests.factories import make_customer

# ignored_auth is left out: it swaps the session cookie for a bad one but keeps our token
# header, so it reports a false alarm; tests/org/test_auth_api.py covers refused requests.
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)


@pytest.fixture
def fuzz_target(admin_user, agent_a, org, customer_a, customer_b, customer_a2):
    """The schema loaded from the app, and the ids of real records per resource."""
    from kefu.wsgi import application

    make_customer(actor=admin_user, org_unit=org["county_b2"], kind="gov_enterprise", name="某局")
    services_pii.customer_reveal(actor=agent_a, customer=customer_a, reason="seed")
    # Django's test client keeps the test transaction's connection open across requests;
    # calling the WSGI app directly must do the same, or PostgreSQL drops it mid-test.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    token = Token.objects.create(user=admin_user)
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.from_wsgi(
        "/api/schema/",
        application,
        headers=headers,
        # We authenticate with our token; made-up session cookies would only probe Django's
        # session middleware (a NUL byte there is a 500 on PostgreSQL, but gunicorn refuses
        # such a header long before Django sees it).
        generation_config=GenerationConfig(with_security_parameters=False),
    )
    ids = {
        "customers": list(Customer.objects.values_list("pk", flat=True)),
        "org-units": list(OrgUnit.objects.values_list("pk", flat=True)),
        "staff": list(StaffProfile.objects.values_list("pk", flat=True)),
        "roles": list(Role.objects.values_list("pk", flat=True)),
    }
    yield schema, headers, ids
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


api_schema = schemathesis.from_pytest_fixture("fuzz_target_schema")


@pytest.fixture
def fuzz_target_schema(fuzz_target):
    return fuzz_target[0]


@api_schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, fuzz_target):
    _schema, headers, ids = fuzz_target
    _aim_at_real_records(case, ids)
    response = case.call_wsgi(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)


def _pick(ids: list[int], generated: object) -> object:
    """Four in five generated ids become a real one; the rest probe ids that do not exist."""
    if isinstance(generated, int) and not isinstance(generated, bool) and generated % 5 and ids:
        return ids[generated % len(ids)]
    return generated


def _aim_at_real_records(case, ids: dict[str, list[int]]) -> None:
    resource = case.operation.path.split("/")[3]
    if case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = _pick(ids.get(resource, []), case.path_parameters["id"])
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return
    if "org_unit" in body:
        body["org_unit"] = _pick(ids["org-units"], body["org_unit"])
    if case.operation.path.endswith("/change-register/") and isinstance(body.get("identity"), dict):
        # Half the time state what the archive holds, so the change really applies.
        customer = Customer.objects.filter(pk=case.path_parameters["id"]).first()
        if customer and case.path_parameters["id"] % 2:
            body["identity"] = {"phone": customer.phone, "address": customer.address}


def test_every_read_answers_as_its_schema_says_on_real_records(fuzz_target, admin_user, org):
    """Each GET operation on records that exist (null customer, blank channel, missing
    business line …) answers exactly as documented: the nullable fields say so."""
    from kefu.workorders.actions import work_order_act
    from kefu.workorders.attachments import attachment_store
    from kefu.workorders.models import WorkOrderType
    from kefu.workorders.services import work_order_create

    schema, headers, _ids = fuzz_target
    work_order_create(
        actor=admin_user,
        order_type=WorkOrderType.objects.get(code="consultation"),
        channel="hotline",
        title="咨询资费",
        area_unit=org["county_a1"],
    )
    full = work_order_create(
        actor=admin_user,
        order_type=WorkOrderType.objects.get(code="complaint"),
        channel="hotline",
        title="宽带经常掉线",
        customer=Customer.objects.first(),
    )
    work_order_act(actor=admin_user, order=full, action="dispatch", data={"unit": org["team_a1"]})
    attachment = attachment_store(
        order=full, name="截图.png", content_type="image/png", data=b"\x89PNG\r\n"
    )
    # Path parameters besides the order's id: a real record of the order, or one that is not.
    others = {"attachment_id": [attachment.pk, attachment.pk + 1000]}
    checks = (not_a_server_error, response_schema_conformance)
    first_ids: dict[str, list] = {}
    checked = 0
    for path, methods in schema.raw_schema["paths"].items():
        if "get" not in methods:
            continue
        operation = schema[path]["GET"]
        if "{id}" in path:
            listing = path.split("{id}")[0]
            ids = first_ids.get(listing)
            if ids is None:
                continue
            names = [n for n in re.findall(r"\{(\w+)\}", path) if n != "id"]
            if any(n not in others for n in names):
                continue
            cases = [
                operation.make_case(path_parameters={"id": pk, **{n: value for n in names}})
                for pk in ids
                for value in ([None] if not names else others[names[0]])
            ]
        else:
            cases = [operation.make_case()]
        for case in cases:
            response = case.call_wsgi(headers=headers)
            case.validate_response(response, checks=checks, headers=headers)
            checked += 1
            if "{id}" not in path and response.status_code == 200:
                body = response.json
                rows = body.get("results", body) if isinstance(body, dict) else body
                if isinstance(rows, list):
                    first_ids[path] = [row["id"] for row in rows[:3] if "id" in row]
    assert first_ids["/api/v1/work-orders/"] and checked >= 30
