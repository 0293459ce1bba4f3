"""Demo organisation (演示组织): one province, 4 prefectures, 12 counties, staff for each role.

Seeded only when the org table is empty, so running it again changes nothing. Demo staff
share one known password (printed by `kefu demo`); never use it for a real installation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from kefu.org import services
from kefu.org.models import DataScope, OrgLevel, OrgUnit, Role
from kefu.org.roles import roles_seed

DEMO_PASSWORD = "Kefu-demo-2026"  # noqa: S105 - demo accounts only, printed on purpose


@dataclass(frozen=True)
class DemoCounty:
    code: str
    name: str  # 玄武县分公司
    district: str  # 玄武区 (used in addresses)
    region_code: str  # ID number region code of people born here


@dataclass(frozen=True)
class DemoPrefecture:
    code: str
    name: str
    city: str
    area_code: str
    counties: tuple[DemoCounty, ...]


PROVINCE_CODE = "JN"
PROVINCE_NAME = "江南省分公司"
PREFECTURES = (
    DemoPrefecture(
        "JN01",
        "金陵市分公司",
        "金陵市",
        "025",
        (
            DemoCounty("JN0101", "玄武县分公司", "玄武区", "320102"),
            DemoCounty("JN0102", "秦淮县分公司", "秦淮区", "320104"),
            DemoCounty("JN0103", "江宁县分公司", "江宁区", "320115"),
        ),
    ),
    DemoPrefecture(
        "JN02",
        "姑苏市分公司",
        "姑苏市",
        "0512",
        (
            DemoCounty("JN0201", "吴中县分公司", "吴中区", "320506"),
            DemoCounty("JN0202", "相城县分公司", "相城区", "320507"),
            DemoCounty("JN0203", "吴江县分公司", "吴江区", "320509"),
        ),
    ),
    DemoPrefecture(
        "JN03",
        "锡山市分公司",
        "锡山市",
        "0510",
        (
            DemoCounty("JN0301", "梁溪县分公司", "梁溪区", "320213"),
            DemoCounty("JN0302", "惠山县分公司", "惠山区", "320206"),
            DemoCounty("JN0303", "宜兴县分公司", "宜兴市", "320282"),
        ),
    ),
    DemoPrefecture(
        "JN04",
        "广陵市分公司",
        "广陵市",
        "0514",
        (
            DemoCounty("JN0401", "邗江县分公司", "邗江区", "321003"),
            DemoCounty("JN0402", "江都县分公司", "江都区", "321012"),
            DemoCounty("JN0403", "高邮县分公司", "高邮市", "321084"),
        ),
    ),
)
# Per county: (username prefix, role, where they sit, data scope anchored at the county)
COUNTY_STAFF = (
    ("agent", "agent", "kf", DataScope.SUBTREE),
    ("dispatcher", "dispatcher", "kf", DataScope.SUBTREE),
    ("handler", "handler", "zw", DataScope.SUBTREE),
    ("tech", "field_technician", "zw-team", DataScope.OWN),
    ("callback", "callback_agent", "kf", DataScope.SUBTREE),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit: str


def demo_geography() -> dict[str, tuple[str, str, str, str]]:
    """County code → (city, district, area code, region code) for demo customers."""
    return {
        county.code: (pref.city, county.district, pref.area_code, county.region_code)
        for pref in PREFECTURES
        for county in pref.counties
    }


@transaction.atomic
def org_demo_seed() -> list[DemoAccount]:
    """Create the demo org tree and staff if the org table is empty; return the accounts.

    Returns an empty list (and changes nothing) when any org unit already exists.
    """
    if OrgUnit.objects.exists():
        return []
    roles_seed()
    roles = {r.code: r for r in Role.objects.all()}
    from kefu.customers.demo_data import people_names

    names = iter(people_names(200, seed=20260101))
    password = make_password(DEMO_PASSWORD)  # hashed once: 70 accounts would take seconds
    accounts: list[DemoAccount] = []
    employee_no = iter(range(1, 10_000))

    def unit(name: str, code: str, level: str, parent: OrgUnit | None) -> OrgUnit:
        return services.org_unit_create(name=name, code=code, level=level, parent=parent)

    def staff(username: str, role: str, sits: OrgUnit, anchor: OrgUnit, scope: str) -> None:
        user = services.staff_create(
            username=username,
            display_name=next(names),
            employee_no=f"JN{next(employee_no):05d}",
            org_unit=sits,
        )
        user.password = password
        user.save(update_fields=["password"])
        services.role_assign(user=user, role=roles[role], org_unit=anchor, scope=scope)
        accounts.append(DemoAccount(username, str(roles[role].name), anchor.name))

    province = unit(PROVINCE_NAME, PROVINCE_CODE, OrgLevel.PROVINCE, None)
    for pref in PREFECTURES:
        prefecture = unit(pref.name, pref.code, OrgLevel.PREFECTURE, province)
        for county in pref.counties:
            c = unit(county.name, county.code, OrgLevel.COUNTY, prefecture)
            kf = unit(f"{county.district}客服中心", f"{county.code}-KF", OrgLevel.DEPARTMENT, c)
            zw = unit(f"{county.district}装维部", f"{county.code}-ZW", OrgLevel.DEPARTMENT, c)
            unit(f"{county.district}营业班", f"{county.code}-KF-YY", OrgLevel.TEAM, kf)
            zw_team = unit(f"{county.district}装维班", f"{county.code}-ZW-ZW", OrgLevel.TEAM, zw)
            sits_at = {"kf": kf, "zw": zw, "zw-team": zw_team}
            for prefix, role, where, scope in COUNTY_STAFF:
                staff(f"{prefix}_{county.code.lower()}", role, sits_at[where], c, scope)
        staff(f"supervisor_{pref.code.lower()}", "supervisor", prefecture, prefecture, "subtree")
    staff("inspector_jn", "quality_inspector", province, province, DataScope.SUBTREE)
    staff("supervisor_jn", "supervisor", province, province, DataScope.SUBTREE)
    return accounts
