"""Default time-limit policies and the calendar alert template, seeded after every migrate.

Only missing codes are created: an administrator's edits are kept. A deleted default
comes back at the next migrate; to switch one off, untick "active" instead. The values
and where they come from are listed in docs/admin-guide.md (时限 SLA).
"""

from __future__ import annotations

from kefu.sla.models import CalendarName

H = 60  # minutes per hour
WORKDAY = 8 * 60  # one cn-standard working day: 09–12 + 13–18
ALWAYS, WORKING = CalendarName.ALWAYS.value, CalendarName.CN_STANDARD.value
VIP = ["diamond", "gold", "1A", "2A"]  # 钻石/金卡, gov-enterprise 1A–2A (001:76)

# code: (name, priority, type, line, channel, tiers, (first contact), (resolution), (reply), note)
# Each clock: (minutes, calendar) or None (no such clock).
DEFAULT_POLICIES: dict[str, tuple] = {
    "complaint-vip": (
        "VIP 客户投诉",
        10,
        "complaint",
        None,
        "",
        VIP,
        (1 * H, ALWAYS),
        (2 * WORKDAY, WORKING),
        (4 * H, WORKING),
        "VIP stricter than the 2-hour rule (001:496); tiers 001:76",
    ),
    "complaint-referral": (
        "上级转办投诉",
        15,
        "complaint",
        None,
        "referral",
        [],
        (1 * H, ALWAYS),
        (2 * WORKDAY, WORKING),
        (1 * WORKDAY, WORKING),
        "Referred by a higher level: escalate promptly (002:160-161, 002:207-215)",
    ),
    "complaint": (
        "投诉",
        20,
        "complaint",
        None,
        "",
        [],
        (2 * H, ALWAYS),
        (3 * WORKDAY, WORKING),
        (1 * WORKDAY, WORKING),
        "Contact within 2 hours (001:496); overall limit configurable (001:500)",
    ),
    "fault-broadband-vip": (
        "VIP 宽带故障",
        30,
        "fault",
        "broadband",
        "",
        VIP,
        (30, ALWAYS),
        (4 * H, ALWAYS),
        None,
        "Repair within the prescribed limit (001:368, 001:422-428)",
    ),
    "fault-broadband": (
        "宽带故障",
        40,
        "fault",
        "broadband",
        "",
        [],
        (1 * H, ALWAYS),
        (8 * H, ALWAYS),
        None,
        "Repair within the prescribed limit (001:368)",
    ),
    "fault-fixed-vip": (
        "VIP 固话故障",
        50,
        "fault",
        "fixed",
        "",
        VIP,
        (1 * H, ALWAYS),
        (12 * H, ALWAYS),
        None,
        "Repair within the prescribed limit (001:368)",
    ),
    "fault-fixed": (
        "固话故障",
        60,
        "fault",
        "fixed",
        "",
        [],
        (2 * H, ALWAYS),
        (24 * H, ALWAYS),
        None,
        "Repair within the prescribed limit (001:368)",
    ),
    "fault": (
        "其他故障",
        70,
        "fault",
        None,
        "",
        [],
        (2 * H, ALWAYS),
        (24 * H, ALWAYS),
        None,
        "Repair within the prescribed limit (001:368)",
    ),
    "consultation": (
        "咨询",
        80,
        "consultation",
        None,
        "",
        [],
        (24 * H, ALWAYS),
        (1 * WORKDAY, WORKING),
        None,
        "Answer an inquiry within 24 hours (004:511)",
    ),
    "install": (
        "装机",
        90,
        "install",
        None,
        "",
        [],
        (1 * WORKDAY, WORKING),
        (3 * WORKDAY, WORKING),
        None,
        "Contact to book the visit (001:384, 001:430)",
    ),
    "move": (
        "移机",
        91,
        "move",
        None,
        "",
        [],
        (1 * WORKDAY, WORKING),
        (3 * WORKDAY, WORKING),
        None,
        "Contact to book the visit (001:384, 001:430)",
    ),
    "remove": (
        "拆机",
        92,
        "remove",
        None,
        "",
        [],
        (1 * WORKDAY, WORKING),
        (3 * WORKDAY, WORKING),
        None,
        "Contact to book the visit (001:384, 001:430)",
    ),
    "default": (
        "默认（其他类型）",
        1000,
        None,
        None,
        "",
        [],
        (1 * WORKDAY, WORKING),
        (5 * WORKDAY, WORKING),
        None,
        "Fallback so that every order has a time limit",
    ),
}

CALENDAR_MISSING_TEMPLATE = (
    "工作日历缺少年份数据",
    "工作日历缺少 {{ year }} 年数据，相关时限为暂定",
    "工作日历 {{ calendar }} 没有 {{ year }} 年的节假日和调休数据。"
    "落入该年的工单时限暂按周末双休（不含法定节假日）推算，标为“暂定”，并据此预警和升级。\n"
    "{% if order.number %}首个受影响的工单：{{ order.number }} {{ order.title }}\n{% endif %}"
    "请在国务院办公厅发布放假通知后导入该年数据（kefu calendar import，"
    "或管理后台“工作日历”），导入后暂定时限将自动按正式日历重算。",
)


def sla_seed() -> None:
    from kefu.notify.models import NotificationTemplate
    from kefu.sla.clocks import CALENDAR_MISSING_TEMPLATE as TEMPLATE_CODE
    from kefu.sla.models import SlaPolicy
    from kefu.workorders.models import BusinessLine, WorkOrderType

    types = {t.code: t for t in WorkOrderType.objects.all()}
    lines = {b.code: b for b in BusinessLine.objects.all()}
    existing = set(SlaPolicy.objects.values_list("code", flat=True))
    for code, spec in DEFAULT_POLICIES.items():
        name, priority, type_code, line_code, channel, tiers, first, resolution, reply, note = spec
        if code in existing:
            continue
        if (type_code and type_code not in types) or (line_code and line_code not in lines):
            continue  # an administrator removed the type or line: nothing to apply to
        values = {
            "name": name,
            "priority": priority,
            "order_type": types.get(type_code) if type_code else None,
            "business_line": lines.get(line_code) if line_code else None,
            "channel": channel,
            "tiers": tiers,
            "note": note,
        }
        for kind, clock in (("first_contact", first), ("resolution", resolution), ("reply", reply)):
            if clock is not None:
                values[f"{kind}_minutes"], values[f"{kind}_calendar"] = clock
        SlaPolicy.objects.create(code=code, **values)
    name, subject, body = CALENDAR_MISSING_TEMPLATE
    NotificationTemplate.objects.get_or_create(
        code=TEMPLATE_CODE, defaults={"name": name, "subject": subject, "body": body}
    )
