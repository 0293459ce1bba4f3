from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutagesConfig(AppConfig):
    """Incidents: mass outages 大面积故障 and complaint batch alerts 批量投诉预警."""

    name = "kefu.outages"
    label = "outages"
    verbose_name = _("Mass outages")

    def ready(self):
        # Complaint intelligence (kefu.workorders.complaints) keeps its alerts and settings
        # in this app, so it is connected from here, after the work-order receivers.
        from kefu.workorders.complaints import on_order_changed, on_order_taking_in
        from kefu.workorders.signals import order_changed, order_taking_in

        order_taking_in.connect(on_order_taking_in, dispatch_uid="kefu.workorders.repeat")
        order_changed.connect(on_order_changed, dispatch_uid="kefu.workorders.complaints")
