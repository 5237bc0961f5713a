from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation

from lessons import contentcache, search_index
from lessons.models import forget_content_generation


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """A request to a /ru/ page leaves Russian active in the thread (Django activates a
    language per request and never resets it), so a later test's reverse() would build /ru/
    addresses: every test starts in English."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Rate-limit counters live in the cache: every test starts from zero, with room to spare.

    One process runs the suite, so every content change is seen at once (the bump resets the
    remembered generation); each test starts with the generation unread, since the database
    it was read from has been rolled back.
    """
    settings.ANSWER_RATE_LIMIT = 10_000
    settings.CONTENT_CHECK_SECONDS = 3600
    cache.clear()
    contentcache.clear_local()
    forget_content_generation()
    # Versions an earlier test saved, in a transaction rolled back since, are not pending: a
    # leftover id would keep this test's change to that id from registering its own flush.
    search_index.forget_pending()
    yield
    cache.clear()
    contentcache.clear_local()
    forget_content_generation()


@pytest.fixture(scope="module")
def demo_for_module(django_db_setup, django_db_blocker):
    """The demo climb, loaded once for a whole module (a load takes about a second) and
    removed after it, so that other modules start from an empty database. Each test still
    runs in its own transaction, rolled back: what a test changes, the next does not see."""
    from django.core.management import call_command

    from lessons.models import Climb

    with django_db_blocker.unblock():
        call_command("load_demo")
    yield
    with django_db_blocker.unblock():
        Climb.objects.all().delete()  # its pieces, versions and search rows go with it
