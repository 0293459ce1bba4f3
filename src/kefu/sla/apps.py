from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs):
    from kefu.sla.seed import sla_seed

    sla_seed()


def _on_order_changed(sender, order, event, **kwargs):
    from kefu.sla.services import clocks_on_order_event

    clocks_on_order_event(order=order, event=event)


def _on_order_taking_in(sender, order, **kwargs):
    from kefu.sla.services import clocks_before_intake

    clocks_before_intake(order=order)


class SlaConfig(AppConfig):
    name = "kefu.sla"
    label = "sla"
    verbose_name = _("Time limits")

    def ready(self):
        from kefu.sla import checks  # noqa: F401  (registers the calendar-year check)
        from kefu.workorders.signals import order_changed, order_taking_in

        # The work-order services send order_changed inside every action's transaction;
        # the clocks move with the action (start, stop, pause, resume) or not at all.
        order_changed.connect(_on_order_changed, dispatch_uid="kefu.sla.clocks")
        order_taking_in.connect(_on_order_taking_in, dispatch_uid="kefu.sla.intake")
        # post_migrate rather than a data migration: a test database flushed between
        # transactional tests gets the defaults back, and admin edits are never touched.
        post_migrate.connect(_seed, sender=self, dispatch_uid="kefu.sla.seed")
