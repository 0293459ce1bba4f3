# ruff: noqa: E501  (the seeded texts, verbatim)
"""Default templates an administrator never edited get the new default text: each SLA
notice names its own clock (a first-contact breach is no 处理时限), a dispatch gives the
first-contact and the resolution limits, the owner's notice lists folded changes, and the
reply to the customer and the outage notice are signed letters, a batch alert names its
orders. Edited templates are left alone."""

from django.db import migrations

# code: (subject, body) as seeded before this migration.
PREVIOUS = {
    'wo_assigned': (
        '新工单派给你：{{ order.number }} {{ order.title }}',
        '{% if actor_name %}{{ actor_name }}{% else %}系统{% endif %}将工单 {{ order.number }} 派给你处理。\n标题：{{ order.title }}\n{% if order.type_name %}类型：{{ order.type_name }}\n{% endif %}{% if due %}处理时限：{{ due }}\n{% endif %}{% if note %}派单说明：{{ note }}\n{% endif %}请及时接单处理。',
    ),
    'wo_changed': (
        '你首问的工单有变动：{{ order.number }}',
        '你是工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}的首问负责人，该工单有新的变动{% if actor_name %}，操作人：{{ actor_name }}{% endif %}。\n{% if note %}说明：{{ note }}\n{% endif %}请跟踪处理进展，必要时与客户沟通。',
    ),
    'wo_urged': (
        '催办：{{ order.number }} {{ order.title }}',
        '{% if actor_name %}{{ actor_name }}{% else %}客户{% endif %}催办了工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}。\n{% if due %}处理时限：{{ due }}\n{% endif %}{% if note %}催办说明：{{ note }}\n{% endif %}请尽快处理并反馈进展。',
    ),
    'sla_warning': (
        '即将超时：{{ order.number }} {{ order.title }}',
        '事前预警：工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}{% if due %}将于 {{ due }} 到达处理时限{% else %}即将到达处理时限{% endif %}，请抓紧处理，避免超时。',
    ),
    'sla_breached': (
        '已超时：{{ order.number }} {{ order.title }}',
        '工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}已超过处理时限{% if due %}（时限 {{ due }}）{% endif %}，请立即处理，并在办结时说明超时原因。',
    ),
    'sla_escalated': (
        '超时升级：{{ order.number }} {{ order.title }}',
        '工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}超时未办结，已按规定升级到你处{% if due %}（原时限 {{ due }}）{% endif %}。\n{% if note %}说明：{{ note }}\n{% endif %}请督促责任单位尽快办结。',
    ),
    'outage_notice': (
        '故障通知',
        '尊敬的客户：{% if outage.area %}{{ outage.area }}{% else %}您所在区域{% endif %}{% if outage.cause %}因{{ outage.cause }}{% endif %}出现服务故障，我们正在全力抢修{% if outage.eta %}，预计 {{ outage.eta }} 前恢复{% endif %}。由此给您带来的不便，敬请谅解。',
    ),
    'complaint_batch_alert': (
        '批量投诉预警：{% if topic %}{{ topic }} {% endif %}{{ count }} 张',
        '{% if since %}自 {{ since }} 以来，{% endif %}{% if area %}{{ area }}{% endif %}已收到 {{ count }} 张{% if topic %}“{{ topic }}”{% endif %}同类投诉工单，可能是批量投诉。\n建议启动流程穿越：由管理人员以客户身份走一遍受理、派单、处理、回访全流程，查找并整改问题环节。',
    ),
    'wo_resolved_customer': (
        '工单已办结：{{ order.number }}',
        '尊敬的客户：您的工单 {{ order.number }}{% if order.title %}（{{ order.title }}）{% endif %}已处理完毕{% if note %}，处理结果：{{ note }}{% endif %}。如有疑问请致电客服热线{% if hotline %} {{ hotline }}{% endif %}，感谢您的支持。',
    ),
}


def refresh(apps, schema_editor):
    from kefu.notify.defaults import DEFAULT_TEMPLATES

    Template = apps.get_model("notify", "NotificationTemplate")
    for code, (subject, body) in PREVIOUS.items():
        name, new_subject, new_body = DEFAULT_TEMPLATES[code]
        Template.objects.filter(code=code, subject=subject, body=body).update(
            name=name, subject=new_subject, body=new_body
        )


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
