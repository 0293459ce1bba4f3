from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs):
    from kefu.callbacks.seed import callbacks_seed

    callbacks_seed()


class CallbacksConfig(AppConfig):
    """Callbacks 回访: the return visit after a resolved order, its policy, the callback
    desk 回访台, customers' SMS replies and the satisfaction figures."""

    name = "kefu.callbacks"
    label = "callbacks"
    verbose_name = _("Callbacks")

    def ready(self):
        # After the work-order seed (types): post_migrate runs in INSTALLED_APPS order.
        post_migrate.connect(_seed, sender=self, dispatch_uid="kefu.callbacks.seed")
