"""Seeded callback policies (with their script outlines 回访提纲) and the dissatisfaction
reason tree (idempotent: what an administrator edited is kept)."""

from __future__ import annotations

from kefu.callbacks.models import CallbackPolicy, DissatisfactionReason
from kefu.workorders.models import WorkOrderType

_OPENING = "您好，我是客服中心回访员，耽误您一分钟时间。"
_LEVELS = "请问您对这次服务是非常满意、满意还是不满意？如不满意，请问主要是哪方面的原因？"

# type code: the script outline, question by question (001:220-222: 回访提纲).
SCRIPTS = {
    "install": [
        "核实装机地址与业务是否开通、能否正常使用。",
        "装维人员是否按预约时间上门、是否出示工号、现场是否清理。",
        "是否有额外收费或推销。",
    ],
    "move": [
        "核实移机后业务是否恢复正常。",
        "装维人员是否按预约时间上门。",
    ],
    "remove": ["核实拆机是否已办结、是否还有费用未结清。"],
    "fault": [
        "核实故障是否已修复、目前使用是否正常。",
        "修复是否及时，装维人员服务态度如何。",
    ],
    "complaint": [
        "核实投诉问题是否已解决，对处理结果是否认可。",
        "处理过程中是否有人及时联系您。",
    ],
    "report": ["告知举报处理结果，询问是否认可。"],
}

# code: (name, parent code or None)
REASONS = {
    "service": ("服务态度", None),
    "service-attitude": ("态度不好", "service"),
    "service-late": ("上门迟到或未按约上门", "service"),
    "service-unprofessional": ("不专业、未出示工号", "service"),
    "result": ("处理结果", None),
    "result-unsolved": ("问题未解决", "result"),
    "result-recurred": ("问题反复出现", "result"),
    "speed": ("处理时效", None),
    "speed-slow": ("处理不及时", "speed"),
    "speed-no-contact": ("无人联系", "speed"),
    "fee": ("收费问题", None),
    "fee-extra": ("额外收费或推销", "fee"),
    "other": ("其他", None),
}


def script_text(code: str) -> str:
    lines = [_OPENING, *SCRIPTS.get(code, []), _LEVELS]
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def callbacks_seed() -> None:
    for sort, (code, (name, parent)) in enumerate(REASONS.items()):
        DissatisfactionReason.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "sort": sort,
                "parent": DissatisfactionReason.objects.get(code=parent) if parent else None,
            },
        )
    for order_type in WorkOrderType.objects.filter(code__in=SCRIPTS):
        CallbackPolicy.objects.get_or_create(
            order_type=order_type, defaults={"share": 100, "script": script_text(order_type.code)}
        )
