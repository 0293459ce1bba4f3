from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_roles(sender, **kwargs):
    from kefu.org.roles import roles_seed

    roles_seed()


class OrgConfig(AppConfig):
    name = "kefu.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self):
        # Roles need the permission rows that post_migrate creates, so they are seeded
        # after every migrate rather than in a data migration.
        post_migrate.connect(_seed_roles, dispatch_uid="kefu.org.seed_roles")
        # Connect the signals that invalidate cached permissions, scopes and tokens.
        from kefu.org import actor, tokens  # noqa: F401
