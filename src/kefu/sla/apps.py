from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs):
    from kefu.sla.seed import sla_seed

    sla_seed()


class SlaConfig(AppConfig):
    name = "kefu.sla"
    label = "sla"
    verbose_name = _("Time limits")

    def ready(self):
        from kefu.sla import checks  # noqa: F401  (registers the calendar-year check)

        # post_migrate rather than a data migration: a test database flushed between
        # transactional tests gets the defaults back, and admin edits are never touched.
        post_migrate.connect(_seed, sender=self, dispatch_uid="kefu.sla.seed")
