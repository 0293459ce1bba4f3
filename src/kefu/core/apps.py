from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kefu.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from kefu.core import checks  # noqa: F401  (registers the configuration checks)
