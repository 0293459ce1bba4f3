from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_templates(sender, using="default", **kwargs):
    from kefu.notify.defaults import templates_seed

    templates_seed(using=using)


class NotifyConfig(AppConfig):
    name = "kefu.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from kefu.notify import checks  # noqa: F401  (registers the configuration checks)

        # post_migrate rather than a data migration: a test database flushed between
        # transactional tests gets the defaults back, and admin edits are never touched.
        post_migrate.connect(_seed_templates, sender=self, dispatch_uid="kefu.notify.seed")
