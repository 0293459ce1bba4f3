from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs):
    from kefu.workorders.seed import workorders_seed

    workorders_seed()


class WorkOrdersConfig(AppConfig):
    name = "kefu.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self):
        post_migrate.connect(_seed, sender=self, dispatch_uid="kefu.workorders.seed")
