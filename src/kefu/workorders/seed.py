"""Seeded types, business lines and the problem/cause tree (idempotent; admin edits kept)."""

from __future__ import annotations

from kefu.workorders.models import BusinessLine, Category, CategoryKind, WorkOrderType

# code: (name, complaint, fault, internal, callback)
TYPES = {
    "consultation": ("咨询", False, False, False, False),
    "complaint": ("投诉", True, False, False, True),
    "fault": ("故障申告", False, True, False, True),
    "install": ("装机", False, False, False, True),
    "move": ("移机", False, False, False, True),
    "remove": ("拆机", False, False, False, True),
    "suggestion": ("建议", False, False, False, False),
    "praise": ("表扬", False, False, False, False),
    "report": ("举报", False, False, False, True),
    "internal": ("内部工单", False, False, True, False),
}

LINES = {
    "broadband": "宽带",
    "fixed": "固话",
    "mobile": "移动",
    "vas": "增值业务",
    "iptv": "IPTV",
    "other": "其他",
}

# code: (name, parent code or None)
PROBLEMS = {
    "network": ("网络质量", None),
    "network-slow": ("网速慢", "network"),
    "network-down": ("无法上网", "network"),
    "network-signal": ("信号差", "network"),
    "billing": ("计费争议", None),
    "billing-overcharge": ("多收费", "billing"),
    "billing-vas": ("增值业务扣费", "billing"),
    "service": ("服务质量", None),
    "service-attitude": ("服务态度", "service"),
    "service-timeliness": ("装维不及时", "service"),
    "service-appointment": ("预约不守时", "service"),
    "marketing": ("营销宣传", None),
    "marketing-misleading": ("宣传误导", "marketing"),
}
CAUSES = {
    "cause-network": ("网络原因", None),
    "cause-network-line": ("线路故障", "cause-network"),
    "cause-network-equipment": ("设备故障", "cause-network"),
    "cause-network-cutover": ("网络割接", "cause-network"),
    "cause-staff": ("人为服务原因", None),
    "cause-staff-attitude": ("服务人员态度", "cause-staff"),
    "cause-staff-process": ("未按流程操作", "cause-staff"),
    "cause-system": ("系统原因", None),
    "cause-customer": ("客户原因", None),
    "cause-third-party": ("第三方原因", None),
}


def _tree(kind: str, nodes: dict) -> None:
    for code, (name, parent) in nodes.items():
        parent_obj = Category.objects.get(code=parent) if parent else None
        Category.objects.get_or_create(
            code=code, defaults={"kind": kind, "name": name, "parent": parent_obj}
        )


def workorders_seed() -> None:
    for sort, (code, (name, complaint, fault, internal, callback)) in enumerate(TYPES.items()):
        WorkOrderType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "is_complaint": complaint,
                "is_fault": fault,
                "is_internal": internal,
                "needs_callback": callback,
                "sort": sort,
            },
        )
    for sort, (code, name) in enumerate(LINES.items()):
        BusinessLine.objects.get_or_create(code=code, defaults={"name": name, "sort": sort})
    _tree(CategoryKind.PROBLEM, PROBLEMS)
    _tree(CategoryKind.CAUSE, CAUSES)
