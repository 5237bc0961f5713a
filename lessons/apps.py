from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = _("Lessons")

    def ready(self) -> None:
        # Importing the module registers its model (SearchDocument) with the app.
        from . import search_index
        from .models import Choice, Question, Source, Step, TierVersion

        handlers = {
            TierVersion: search_index.version_changed,
            Step: search_index.part_changed,
            Source: search_index.part_changed,
            Question: search_index.question_changed,
            Choice: search_index.choice_changed,
        }
        for model, handler in handlers.items():
            for signal in (post_save, post_delete):
                signal.connect(handler, sender=model, dispatch_uid=f"search-{model.__name__}")
        post_migrate.connect(_sync_search_index, sender=self, dispatch_uid="search-sync")
        post_migrate.connect(_sync_translations, sender=self, dispatch_uid="translations-sync")
        post_migrate.connect(_rerender_stale, sender=self, dispatch_uid="rerender-stale")


def _sync_search_index(using: str = "default", **kwargs) -> None:
    from . import search_index

    search_index.sync()


def _sync_translations(using: str = "default", **kwargs) -> None:
    from . import translations

    translations.sync()


def _rerender_stale(using: str = "default", **kwargs) -> None:
    from . import rerender

    rerender.rerender_stale()
