"""Shared fixtures: a small org tree with one user per role, on the real test database."""

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
