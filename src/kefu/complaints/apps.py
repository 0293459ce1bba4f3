from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaint intelligence 投诉研判: repeat complaints 重复投诉, batch alerts 批量投诉预警
    and their settings. Escalated complaints 越级投诉 are a flag the work-order services set
    from the complaint source."""

    name = "kefu.complaints"
    label = "complaints"
    verbose_name = _("Complaint intelligence")
