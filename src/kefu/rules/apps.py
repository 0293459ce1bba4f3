from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    """Rule configuration 规则配置: the pages and API where the people who own routing and
    reference data edit them, and the audit log of every such edit."""

    name = "kefu.rules"
    label = "rules"
    verbose_name = _("Rule configuration")
