"""Shared fixtures: a small org tree with one user per role, on the real test database, the
work-order reference data, a customer in county A1 and a settable clock."""

from __future__ import annotations

import pytest


def pytest_configure(config):
    """A secret key in the test data dir, made as `kefu setup` makes it: settings.py only
    reads one, and a fresh data dir has none (pytest-django loaded the settings already)."""
    from kefu.web.management.commands.setup import load_secret_key

    load_secret_key()


@pytest.fixture(autouse=True)
def _huey_immediate():
    """Run each enqueued task at once, in the thread that enqueued it.

    settings.HUEY cannot do this: djhuey built its Huey instance when the app loaded. Going
    immediate swaps that instance's storage for a fresh in-memory one (no queue left over from
    another test, no file or Redis touched); the real storage comes back afterwards."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate, HUEY.storage
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate, HUEY.storage = before


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """What every test overrides: a private cache, fast hashing, and static files served from
    the apps (no collectstatic manifest in tests)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # PBKDF2 costs ~0.2 s per hash; tests create and sign in users by the dozen.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import cache

    from kefu.core import refcache

    cache.clear()
    # Rolled-back test data sends no signals; a calendar or reference row cached in one
    # test must not leak into the next.
    refcache.forget_all()


_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.fixture(autouse=True)
def _calendar_of_the_real_clock(request):
    """Tests on the database get calendar data for the years of the real clock.

    Most tests take orders in on the real clock (services default `now` to timezone.now()).
    The shipped calendar ends with the last year chinesecalendar knows (2026 today), so
    from late December a complaint's three working days would reach a year without
    holiday data, and every such test would see a provisional time limit and a
    "calendar missing" note it does not expect. Tests of that case set their clock to a
    year past every covered one (tests/sla/test_calendar_missing.py). `.ci/run` runs the
    suite again under faketime in 2027 to keep this true."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if not (_DB_FIXTURES & names or marker):
        return
    transactional = {"transactional_db", "live_server"} & names or (
        marker is not None and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from tests.factories import cover_calendar_years, real_clock_years

    cover_calendar_years(real_clock_years())


@pytest.fixture
def org(db):
    """Province → 2 prefectures → 2 counties each. Returns a dict of units by short name."""
    from tests.factories import build_org

    return build_org()


@pytest.fixture
def make_user(org):
    from tests.factories import make_staff

    return make_staff


@pytest.fixture
def agent_a(org, make_user):
    """A hotline agent in county A1 (scope: A1 subtree)."""
    return make_user("agent_a", org["county_a1"], "agent")


@pytest.fixture
def agent_b(org, make_user):
    return make_user("agent_b", org["county_b1"], "agent")


@pytest.fixture
def supervisor_a(org, make_user):
    """Supervisor of prefecture A (scope: prefecture A subtree)."""
    return make_user("sup_a", org["pref_a"], "supervisor")


@pytest.fixture
def admin_user(org, make_user):
    return make_user("admin1", org["province"], "administrator")


@pytest.fixture
def dispatcher_a(org, make_user):
    """A dispatcher of prefecture A."""
    return make_user("disp_a", org["pref_a"], "dispatcher")


@pytest.fixture
def handlers_a1(org, make_user):
    """Three handlers in team A1 (the county's maintenance team, below county A1)."""
    return [make_user(f"hand_a1_{i}", org["team_a1"], "handler") for i in range(3)]


@pytest.fixture
def handler_a1(org, make_user):
    """One handler in team A1, for tests that need just one."""
    return make_user("hand_a1", org["team_a1"], "handler")


@pytest.fixture
def handler_a2(org, make_user):
    """A handler in team A2 (same prefecture, the other county)."""
    return make_user("hand_a2", org["team_a2"], "handler")


@pytest.fixture
def supervisor_county(org, make_user):
    """A supervisor sitting in county A1, the unit above team A1."""
    return make_user("sup_county_a1", org["county_a1"], "supervisor")


@pytest.fixture
def types(db):
    """Work-order types by code (seeded by the migrations)."""
    from kefu.workorders.models import WorkOrderType

    return {t.code: t for t in WorkOrderType.objects.all()}


@pytest.fixture
def lines(db):
    """Business lines by code (seeded by the migrations)."""
    from kefu.workorders.models import BusinessLine

    return {b.code: b for b in BusinessLine.objects.all()}


@pytest.fixture
def categories(db):
    """Problem categories and causes by code (seeded by the migrations)."""
    from kefu.workorders.models import Category

    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def customer_a1(org, agent_a):
    """A customer in county A1, taken on by agent A."""
    from tests.factories import make_customer

    return make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="王小明", phone="13800138000"
    )


@pytest.fixture
def clock(monkeypatch):
    """The wall clock, replaced (an outside system): Tuesday 2025-06-03 09:00 in Shanghai
    until the test sets or advances it (tests.factories.FakeClock)."""
    from django.utils import timezone

    from tests.factories import FakeClock, at

    fake = FakeClock(at("2025-06-03 09:00"))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def now(clock):
    """The moment `clock` stands at (Tue 2025-06-03 09:00), for tests that never move it."""
    return clock.now


@pytest.fixture
def data_dir(settings, tmp_path):
    """A data dir of the test's own (attachments, outbox.log): settings.DATA_DIR."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


# --- API ---------------------------------------------------------------------------------


@pytest.fixture
def client_for(db):
    """A client that calls the API with the user's token: client_for(agent_a).get(...)."""
    from tests.factories import api_client

    return api_client


@pytest.fixture
def customer_a(agent_a, org):
    """A customer in team A1 with a broadband account."""
    from kefu.customers import services as customer_services
    from tests.factories import make_customer, valid_id_number

    customer = make_customer(
        actor=agent_a,
        org_unit=org["team_a1"],
        name="王小明",
        phone="13912345678",
        id_number=valid_id_number(seq="111"),
    )
    customer_services.customer_product_add(
        actor=agent_a, customer=customer, kind="broadband", account_number="KD-A-0001"
    )
    return customer


@pytest.fixture
def customer_b(agent_b, org):
    """A customer in county B1 — outside agent_a's and supervisor_a's scope."""
    from kefu.customers import services as customer_services
    from tests.factories import make_customer, valid_id_number

    customer = make_customer(
        actor=agent_b,
        org_unit=org["county_b1"],
        name="赵大海",
        phone="13698765432",
        id_number=valid_id_number(birth="19851111", seq="222"),
    )
    customer_services.customer_product_add(
        actor=agent_b, customer=customer, kind="broadband", account_number="KD-B-0001"
    )
    return customer


@pytest.fixture
def customer_a2(supervisor_a, org):
    """A customer in county A2: same prefecture as A1, another county."""
    from tests.factories import make_customer

    return make_customer(
        actor=supervisor_a, org_unit=org["county_a2"], name="钱多多", phone="13755550000"
    )
