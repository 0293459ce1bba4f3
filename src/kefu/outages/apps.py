from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutagesConfig(AppConfig):
    """Incidents: mass outages 大面积故障 and complaint batch alerts 批量投诉预警."""

    name = "kefu.outages"
    label = "outages"
    verbose_name = _("Mass outages")
