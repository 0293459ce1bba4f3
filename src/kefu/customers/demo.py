"""Demo customers (演示客户) spread over the county units, written through the importer."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.customers import demo_data
from kefu.customers.importing import ImportResult, ProgressFn, customers_import_rows
from kefu.org.demo import demo_geography
from kefu.org.models import OrgLevel, OrgUnit

# Geography for units that are not part of the demo org (a real tree with demo customers).
_FALLBACK_AREAS = ("010", "021", "025", "0512", "0571", "020", "028", "027")


def demo_places() -> list[demo_data.Place]:
    """One place per county (or, in a tree without counties, per active unit)."""
    units = list(OrgUnit.objects.filter(is_active=True, level=OrgLevel.COUNTY).order_by("code"))
    if not units:
        units = list(OrgUnit.objects.filter(is_active=True).order_by("code"))
    geography = demo_geography()
    places = []
    for index, unit in enumerate(units):
        if unit.code in geography:
            city, district, area, region = geography[unit.code]
        else:
            parent = unit.parent.name if unit.parent_id else ""
            city = parent.removesuffix("分公司")
            district = unit.name.removesuffix("分公司")
            area = _FALLBACK_AREAS[index % len(_FALLBACK_AREAS)]
            region = "320102"
        places.append(demo_data.Place(unit.code, city, district, area, region))
    return places


def demo_customers_create(
    *, count: int, seed: int, progress: ProgressFn | None = None
) -> ImportResult:
    """Add `count` deterministic demo customers; their numbers are assigned on insert."""
    # The note is stored with the history entry: written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Demo data (seed %(seed)s)") % {"seed": seed}
    return customers_import_rows(demo=(count, seed, demo_places()), progress=progress, note=note)
