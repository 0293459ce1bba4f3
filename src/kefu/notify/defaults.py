"""The default notification templates (默认通知模板), seeded after every migrate.

Seeding only creates missing codes: an administrator's edits are never overwritten. A
deleted default comes back at the next migrate; to switch a notification off, untick
"active" instead.

Context variables are generic so every caller fills the same names:
    order.number, order.title, order.type_name   the work order
    due                                           the resolution time limit 处理时限; in an
                                                  SLA notice: the limit of its clock
    first_contact_due                             the first-contact time limit 首次联系时限
    clock, clock_kind                             an SLA notice: which limit (its name, code)
    changes                                       the folded changes of one order, each
                                                  {at, action, actor, note}
    actor_name                                    who did it
    unit                                          the unit an order was escalated to
    note                                          free text from the actor
    outage.cause, outage.eta, outage.restored     a mass outage, as customers are told it
                                                  (outage.area: optional wording of the area
                                                  for customers; never an internal unit name)
    count, topic, area, since, orders             a batch of similar complaints (orders:
                                                  their numbers)
    hotline, org_name                             to customers: the hotline, the signature
    thread_subject                                a reply by e-mail: the customer's subject
    callback.id, .unit, .due, .deadline, orders   a callback task 回访 and its orders' numbers
    link, reply_codes                             a callback SMS: the signed answer link, and
                                                  the digits it offers ("1 非常满意，2 满意，…")
    original, reason                              a dissatisfied callback: the order, why
    code, minutes                                 a portal sign-in code and how long it lasts
    survey, link, text                            a survey: its name, the signed link, one
                                                  SMS question (or a thank-you)
A missing variable renders as empty text; the templates guard optional parts with {% if %}.
"""

from __future__ import annotations

# code: (name, subject, body)
DEFAULT_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "wo_created": (
        "工单已受理",
        "工单已受理：{{ order.number }}",
        "您好，您的工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}"
        "已受理{% if order.type_name %}，类型：{{ order.type_name }}{% endif %}。"
        "{% if due %}承诺处理时限：{{ due }}。{% endif %}"
        "我们会尽快处理，并及时告知处理结果。",
    ),
    "wo_assigned": (
        "新工单派给你",
        "新工单派给你：{{ order.number }} {{ order.title }}",
        "{% if actor_name %}{{ actor_name }}{% else %}系统{% endif %}"
        "将工单 {{ order.number }} 派给你处理。\n"
        "标题：{{ order.title }}\n"
        "{% if order.type_name %}类型：{{ order.type_name }}\n{% endif %}"
        "{% if first_contact_due %}首次联系时限：{{ first_contact_due }}\n{% endif %}"
        "{% if due %}处理时限：{{ due }}\n{% endif %}"
        "{% if note %}派单说明：{{ note }}\n{% endif %}"
        "请及时接单处理。",
    ),
    "wo_changed": (
        "工单变动（首问负责人）",
        "你首问的工单有变动：{{ order.number }}"
        "{% if changes|length > 1 %}（{{ changes|length }} 项）{% endif %}",
        "你是工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}"
        "的首问负责人，该工单有新的变动"
        "{% if changes %}：\n{% for c in changes %}· {{ c.at }} {{ c.action }}"
        "{% if c.actor %}（{{ c.actor }}）{% endif %}{% if c.note %}：{{ c.note }}{% endif %}\n"
        "{% endfor %}"
        "{% else %}{% if actor_name %}，操作人：{{ actor_name }}{% endif %}。\n"
        "{% if note %}说明：{{ note }}\n{% endif %}{% endif %}"
        "请跟踪处理进展，必要时与客户沟通。",
    ),
    "wo_customer_message": (
        "客户来信",
        "客户来信：{{ order.number }} {{ order.title }}",
        "客户就工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}"
        "发来新的消息，已记入工单处理过程。\n"
        "{% if note %}{{ note }}\n{% endif %}"
        "请及时查看，需要时回复客户。",
    ),
    "wo_urged": (
        "工单催办",
        "催办：{{ order.number }} {{ order.title }}",
        "{% if actor_name %}{{ actor_name }}{% else %}客户{% endif %}"
        "催办了工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}。\n"
        "{% if first_contact_due %}首次联系时限：{{ first_contact_due }}\n{% endif %}"
        "{% if due %}处理时限：{{ due }}\n{% endif %}"
        "{% if note %}催办说明：{{ note }}\n{% endif %}"
        "请尽快处理并反馈进展。",
    ),
    "wo_supervised": (
        "工单督办",
        "督办：{{ order.number }} {{ order.title }}",
        "{% if actor_name %}{{ actor_name }}{% endif %}"
        "对工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}发起督办。\n"
        "{% if due %}办结时限：{{ due }}\n{% endif %}"
        "{% if note %}督办要求：{{ note }}\n{% endif %}"
        "请按督办要求在时限内办结并回复督办人。",
    ),
    "wo_escalated": (
        "工单升级",
        "工单升级：{{ order.number }} {{ order.title }}",
        "{% if actor_name %}{{ actor_name }}{% else %}系统{% endif %}"
        "将工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}"
        "升级到{% if unit %}{{ unit }}{% else %}你处{% endif %}。\n"
        "{% if note %}升级原因：{{ note }}\n{% endif %}"
        "{% if due %}时限：{{ due }}\n{% endif %}"
        "请督促责任单位尽快办结。",
    ),
    "sla_warning": (
        "即将超时预警",
        "即将超时：{{ order.number }} {{ order.title }}",
        "事前预警：工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}"
        "{% if due %}将于 {{ due }} 到达{{ clock|default:'处理时限' }}"
        "{% else %}即将到达{{ clock|default:'处理时限' }}{% endif %}，"
        "{% if clock_kind == 'first_contact' %}请尽快联系客户{% else %}请抓紧处理{% endif %}，"
        "避免超时。",
    ),
    "sla_breached": (
        "工单已超时",
        "已超时：{{ order.number }} {{ order.title }}",
        "工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}"
        "已超过{{ clock|default:'处理时限' }}{% if due %}（时限 {{ due }}）{% endif %}，"
        "{% if clock_kind == 'first_contact' %}请立即联系客户{% else %}请立即处理{% endif %}，"
        "并在办结时说明超时原因。",
    ),
    "sla_escalated": (
        "超时升级",
        "超时升级：{{ order.number }} {{ order.title }}",
        "工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}"
        "已超过{{ clock|default:'处理时限' }}，已按规定升级到你处"
        "{% if due %}（原时限 {{ due }}）{% endif %}。\n"
        "{% if note %}说明：{{ note }}\n{% endif %}"
        "请督促责任单位尽快办结。",
    ),
    "outage_notice": (
        "大面积故障通知（客户）",
        "故障通知",
        "尊敬的客户：{% if outage.area %}{{ outage.area }}{% else %}您所在区域{% endif %}"
        "{% if outage.cause %}因{{ outage.cause }}{% endif %}出现服务故障，"
        "我们正在全力抢修"
        "{% if outage.eta %}，预计 {{ outage.eta }} 前恢复{% endif %}。"
        "由此给您带来的不便，敬请谅解。{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "outage_eta_changed": (
        "故障恢复时间调整（客户）",
        "故障恢复时间调整",
        "尊敬的客户：您所在区域的服务故障仍在抢修中"
        "{% if outage.eta %}，预计恢复时间调整为 {{ outage.eta }}{% endif %}。"
        "由此给您带来的不便，敬请谅解。{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "outage_restored_customer": (
        "故障已恢复（客户）",
        "故障已恢复",
        "尊敬的客户：您所在区域的服务故障"
        "{% if outage.restored %}已于 {{ outage.restored }} {% else %}已{% endif %}恢复。"
        "{% if hotline %}如仍有问题请致电客服热线 {{ hotline }}，{% else %}如仍有问题请联系我们，"
        "{% endif %}感谢您的耐心等待。{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "complaint_batch_alert": (
        "批量投诉预警",
        "批量投诉预警：{% if topic %}{{ topic }} {% endif %}{{ count }} 张",
        "{% if since %}自 {{ since }} 以来，{% endif %}{% if area %}{{ area }}{% endif %}"
        "已收到 {{ count }} 张{% if topic %}“{{ topic }}”{% endif %}同类投诉工单，"
        "可能是批量投诉。\n"
        "{% if orders %}涉及工单：{{ orders }}\n{% endif %}"
        "建议启动流程穿越：由管理人员以客户身份走一遍受理、派单、处理、回访全流程，"
        "查找并整改问题环节。",
    ),
    "wo_resolved_customer": (
        "回复客户（短信/邮件）",
        "{% if thread_subject %}回复：{{ thread_subject }}（工单 {{ order.number }}）"
        "{% else %}工单已办结：{{ order.number }}{% endif %}",
        "尊敬的客户：您的工单 {{ order.number }}"
        "{% if order.title %}（{{ order.title }}）{% endif %}"
        "已处理完毕{% if note %}，处理结果：{{ note }}{% endif %}。"
        "{% if hotline %}如有疑问请致电客服热线 {{ hotline }}，{% endif %}感谢您的支持。"
        "{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "survey_invite": (
        "问卷邀请（客户）",
        "问卷调查",
        "尊敬的客户：诚邀您参与“{{ survey }}”，只需一两分钟：{{ link }}"
        "（链接仅可使用一次）。感谢您的支持！{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "survey_question": (
        "短信问卷题目（客户）",
        "问卷调查",
        "{{ text }}{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "portal_otp": (
        "自助门户验证码（客户）",
        "登录验证码",
        "您的登录验证码是 {{ code }}，{{ minutes }} 分钟内有效。"
        "请勿告诉他人，工作人员不会向您索要验证码。"
        "{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "callback_sms": (
        "回访短信（客户）",
        "服务回访",
        "尊敬的客户：您的{% if order.type_name %}{{ order.type_name }}{% endif %}工单 "
        "{{ order.number }} 已处理完毕。请回复数字评价本次服务：{{ reply_codes }}"
        "（不满意可在数字后写明原因）。{% if link %}也可点击 {{ link }} 评价。{% endif %}"
        "{% if org_name %}【{{ org_name }}】{% endif %}",
    ),
    "callback_warning": (
        "回访当日未完成",
        "回访预警：{{ orders|join:'、' }}",
        "回访任务 #{{ callback.id }}（{{ orders|join:'、' }}）当日未完成，"
        "最迟须在 {{ callback.deadline }} 前回访，请尽快联系客户。",
    ),
    "callback_breached": (
        "回访已超时",
        "回访超时：{{ orders|join:'、' }}",
        "{{ callback.unit }}的回访任务 #{{ callback.id }}（工单 {{ orders|join:'、' }}）"
        "已超过回访时限 {{ callback.deadline }}，请督促回访员立即回访。",
    ),
    "callback_escalated": (
        "回访超时升级",
        "回访超时升级：{{ orders|join:'、' }}",
        "{{ callback.unit }}的回访任务 #{{ callback.id }}（工单 {{ orders|join:'、' }}）"
        "超过回访时限 {{ callback.deadline }} 仍未完成，已升级到你处，请督促办理。",
    ),
    "callback_dissatisfied": (
        "回访不满意",
        "回访不满意：{{ original }}",
        "客户在回访中对工单 {{ original }} 表示不满意。\n"
        "原因：{{ reason }}\n"
        "{% if order.number != original %}已新建关联投诉工单 {{ order.number }}，"
        "{% else %}工单已重新打开并派回{{ unit }}，{% endif %}"
        "请及时处理，避免形成有理由投诉。",
    ),
}


def templates_seed(using: str = "default") -> int:
    """Create the default templates that are missing; returns how many were created."""
    from kefu.notify.models import NotificationTemplate

    existing = set(NotificationTemplate.objects.using(using).values_list("code", flat=True))
    missing = [
        NotificationTemplate(code=code, name=name, subject=subject, body=body)
        for code, (name, subject, body) in DEFAULT_TEMPLATES.items()
        if code not in existing
    ]
    # ignore_conflicts: two processes migrating at once must not fail on the unique code.
    NotificationTemplate.objects.using(using).bulk_create(missing, ignore_conflicts=True)
    return len(missing)
