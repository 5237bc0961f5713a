from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "climb.learning"
    label = "learning"
    verbose_name = _("Learning")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the login merge)
