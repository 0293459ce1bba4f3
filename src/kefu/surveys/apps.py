from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(sender, **kwargs):
    from kefu.surveys.seed import surveys_seed

    surveys_seed()


class SurveysConfig(AppConfig):
    """Surveys and questionnaires 问卷调查: versioned questionnaires, campaigns to a sample of
    customers by SMS, a signed link or an agent's call, and their results."""

    name = "kefu.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        post_migrate.connect(_seed, sender=self, dispatch_uid="kefu.surveys.seed")
