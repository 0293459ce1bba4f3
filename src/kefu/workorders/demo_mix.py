"""The demo's mix 演示工单的构成: how a telecom hotline's orders are spread over types, business
lines, channels, hours and days, their titles, causes and texts, and how long people take.
Data only (the demo in `kefu.workorders.demo`, the list benchmark in bench/order_rows.py).
No time limits here: those are the SLA policies'."""

from __future__ import annotations

from kefu.workorders.models import ComplaintSource

# --- the mix -----------------------------------------------------------------------------

# Share of orders per type (per cent) on a telecom hotline.
TYPE_MIX = (
    ("consultation", 36), ("fault", 26), ("complaint", 10), ("install", 9), ("internal", 6),
    ("move", 4), ("remove", 3), ("suggestion", 3), ("praise", 2), ("report", 1),
)  # fmt: skip
LINE_MIX = {
    "fault": (("broadband", 55), ("fixed", 14), ("mobile", 14), ("iptv", 13), ("vas", 4)),
    "complaint": (("broadband", 38), ("mobile", 30), ("vas", 16), ("fixed", 8), ("iptv", 8)),
    "consultation": (
        ("mobile", 34), ("broadband", 30), ("vas", 14), ("fixed", 10), ("iptv", 6), ("other", 6),
    ),
    "install": (("broadband", 70), ("iptv", 18), ("fixed", 12)),
    "move": (("broadband", 75), ("fixed", 25)),
    "remove": (("broadband", 60), ("fixed", 30), ("iptv", 10)),
    "internal": (("other", 60), ("broadband", 40)),
    "": (("mobile", 30), ("broadband", 30), ("other", 40)),
}  # fmt: skip
CHANNEL_MIX = (("hotline", 66), ("hall", 15), ("web", 10), ("api", 5), ("email", 4))
COMPLAINT_CHANNEL_MIX = (("hotline", 62), ("referral", 16), ("hall", 10), ("web", 7), ("email", 5))
REFERRAL_SOURCES = (
    (ComplaintSource.GROUP, 20), (ComplaintSource.PROVINCE, 35), (ComplaintSource.MIIT, 20),
    (ComplaintSource.CONSUMER_COUNCIL, 10), (ComplaintSource.HOTLINE_12315, 15),
)  # fmt: skip
# Orders per hour of the day (local time): morning and afternoon peaks, a quiet night.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 4, 8, 14, 18, 19, 17, 12, 13, 16, 17, 15, 13, 11, 12, 11, 9, 6, 4)
WEEKDAY_WEIGHTS = (1.12, 1.0, 0.98, 0.97, 1.0, 0.86, 0.8)  # Monday first
# Resolved at intake (首问解决) by the agent, per type.
FIRST_CONTACT_SHARE = {
    "consultation": 0.72, "suggestion": 0.85, "praise": 0.9, "report": 0.2,
    "complaint": 0.1, "fault": 0.12,
}  # fmt: skip
FIELD_TYPES = frozenset({"fault", "install", "move", "remove"})
VIP_TIERS = ["diamond", "gold", "1A", "2A", "1B", "2B"]

# type: (first-contact limit, resolution limit) in hours; None: no first-contact clock.
# type: (median hours dispatch → first contact, median hours → resolved, log-normal sigma)
DURATIONS = {
    "complaint": (0.6, 20, 0.75), "fault": (0.7, 5, 0.95), "install": (3, 30, 0.6),
    "move": (3, 30, 0.6), "remove": (3, 20, 0.6), "consultation": (1, 7, 1.0),
    "report": (4, 40, 0.8), "suggestion": (6, 40, 0.8), "praise": (6, 30, 0.8),
    "internal": (2, 20, 0.9),
}  # fmt: skip

# (type, line) → [(title, problem category code or "")]; type alone as fallback.
TITLES = {
    ("complaint", "broadband"): [
        ("宽带网速慢，晚高峰经常卡顿", "network-slow"),
        ("宽带频繁掉线，多次报修仍未解决", "network-down"),
        ("装维人员未按预约时间上门", "service-appointment"),
        ("新装宽带超过承诺时限仍未安装", "service-timeliness"),
        ("宽带到期续费后仍被停机", "billing-overcharge"),
    ],
    ("complaint", "mobile"): [
        ("室内信号差，通话经常中断", "network-signal"),
        ("话费多收，套餐外费用不明", "billing-overcharge"),
        ("营业厅工作人员服务态度差", "service-attitude"),
        ("办理套餐时宣传与实际不符", "marketing-misleading"),
        ("手机上网速度慢", "network-slow"),
    ],
    ("complaint", "vas"): [
        ("未订购的增值业务被扣费", "billing-vas"),
        ("短信退订后仍继续扣费", "billing-vas"),
        ("彩铃业务被默认开通", "marketing-misleading"),
    ],
    ("complaint", "fixed"): [
        ("固话杂音大，报修后无人处理", "network-down"),
        ("固话月租多收", "billing-overcharge"),
    ],
    ("complaint", "iptv"): [
        ("IPTV频繁卡顿花屏", "network-slow"),
        ("IPTV点播费用争议", "billing-overcharge"),
    ],
    ("fault", "broadband"): [
        ("宽带无法上网", "network-down"),
        ("光猫LOS灯闪红，无法上网", "network-down"),
        ("宽带网速慢", "network-slow"),
        ("宽带经常掉线", "network-down"),
    ],
    ("fault", "fixed"): [("固话无拨号音", "network-down"), ("固话通话杂音大", "network-down")],
    ("fault", "mobile"): [("手机无信号", "network-signal"), ("手机无法上网", "network-down")],
    ("fault", "iptv"): [("IPTV无信号", "network-down"), ("IPTV画面卡顿", "network-slow")],
    ("fault", "vas"): [("彩铃设置不生效", "")],
    ("consultation", "mobile"): [
        ("咨询套餐变更及资费", ""), ("咨询话费账单明细", ""), ("咨询携号转网办理条件", ""),
        ("咨询积分兑换", ""),
    ],
    ("consultation", "broadband"): [
        ("咨询宽带提速办理", ""), ("咨询宽带资费及融合套餐", ""), ("咨询宽带安装进度", ""),
    ],
    ("consultation", "vas"): [("咨询增值业务退订方法", ""), ("咨询流量包订购", "")],
    ("consultation", "fixed"): [("咨询固话来电显示开通", "")],
    ("consultation", "iptv"): [("咨询IPTV节目点播", "")],
    ("consultation", "other"): [("咨询营业厅营业时间", ""), ("咨询发票开具", "")],
    ("install", "broadband"): [("新装宽带（300M）", ""), ("新装宽带（1000M）", "")],
    ("install", "iptv"): [("新装IPTV", "")],
    ("install", "fixed"): [("新装固话", "")],
    ("move", ""): [("搬家移机", ""), ("室内移机", "")],
    ("remove", ""): [("拆机", ""), ("销户拆机", "")],
    ("suggestion", ""): [
        ("建议延长营业厅周末营业时间", ""), ("建议增加故障处理进度短信提醒", ""),
        ("建议简化套餐变更流程", ""),
    ],
    ("praise", ""): [
        ("表扬装维人员服务热情", ""), ("表扬营业员耐心解答", ""), ("表扬热线坐席处理高效", ""),
    ],
    ("report", ""): [
        ("举报小区内私拉宽带线路", ""), ("举报骚扰电话", ""), ("举报代理商违规办卡", ""),
    ],
    ("internal", ""): [
        ("营业厅打印机故障报修", ""), ("申请调整宽带端口资源", ""), ("协调光交箱钥匙", ""),
        ("内部系统账号权限申请", ""),
    ],
}  # fmt: skip
LINE_NAMES = {"broadband": "宽带", "fixed": "固话", "iptv": "IPTV", "mobile": "移动"}
# problem category root → [(cause code, weight)]
CAUSES = {
    "network": (
        ("cause-network-line", 40), ("cause-network-equipment", 30),
        ("cause-network-cutover", 10), ("cause-customer", 15), ("cause-third-party", 5),
    ),
    "billing": (("cause-system", 40), ("cause-staff-process", 30), ("cause-customer", 30)),
    "service": (
        ("cause-staff-attitude", 45), ("cause-staff-process", 45), ("cause-third-party", 10),
    ),
    "marketing": (("cause-staff-process", 60), ("cause-customer", 40)),
}  # fmt: skip
RESOLUTIONS = {
    "fault": (
        "更换光猫后恢复正常，已现场测速", "重新熔接入户光缆，业务恢复", "端口故障，已调整端口",
        "远程重置后恢复", "更换机顶盒后恢复正常", "基站故障已修复，信号恢复",
    ),
    "complaint": (
        "经核查情况属实，已向客户解释并致歉，问题已处理", "已核实费用并退还多收部分",
        "已安排复测，网络质量恢复正常", "经核查非我方原因，已向客户耐心解释",
        "已对责任人进行批评教育，并向客户致歉",
    ),
    "install": ("已上门安装并调试完毕，客户确认可用", "已完成装机，现场测速达标"),
    "move": ("已完成移机，业务恢复正常",),
    "remove": ("已完成拆机，设备已回收",),
    "": ("已答复客户", "已按客户要求处理完毕", "已转相关部门落实并答复客户"),
}  # fmt: skip
REPLIES = (
    "已电话回复客户处理结果，客户表示认可",
    "已回复客户，客户表示满意",
    "已短信告知客户处理结果",
    "已回复客户，客户表示理解",
)
