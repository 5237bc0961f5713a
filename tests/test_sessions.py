"""An active learner's session, and with it their progress, does not run out."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from climb.learning.cached_sessions import SessionStore as CachedSessionStore
from climb.learning.sessions import RENEWED_KEY, SessionStore

from .factories import make_climb, make_piece, make_version

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def version():
    return make_version(make_piece(make_climb(slug="ds")), steps=2)


def answer_first_question(client, version):
    question = version.steps.select_related("question").first().question
    choice = question.choices.get(is_correct=True)
    client.post("/answer/", {"question": question.pk, "choice": choice.pk, "attempt": 1})


def test_sessions_last_for_the_configured_days():
    assert settings.SESSION_COOKIE_AGE == 90 * 24 * 3600


def test_a_returning_learner_s_session_expiry_moves_forward_once_a_day(client, version):
    answer_first_question(client, version)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Seen last 80 days ago: ten days left.
    session = client.session
    session[RENEWED_KEY] = (timezone.now() - timedelta(days=80)).date().isoformat()
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(days=10))

    response = client.get(version.get_absolute_url())
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + timedelta(days=89)
    # The rest of the day costs no session write.
    again = client.get(version.get_absolute_url())
    assert settings.SESSION_COOKIE_NAME not in again.cookies


def test_a_first_time_reader_gets_no_session(client, version):
    response = client.get(version.get_absolute_url())
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


@pytest.mark.parametrize("store", [SessionStore, CachedSessionStore])
def test_our_session_read_gives_what_django_s_gives(store):
    """The stores read the session row in SQL; what a request gets must not change: the data
    of a live session, nothing of an expired or unknown one (and no key, so a new one is
    made), the stored expiry, and for the cached store the same entry in the cache."""
    live = DjangoStore()
    live.update({"learner_id": 7, "word": "привет"})
    live.set_expiry(3600)
    live.save()
    expired = DjangoStore()
    expired["learner_id"] = 8
    expired.save()
    Session.objects.filter(pk=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    for key in (live.session_key, expired.session_key, "no-such-session-key"):
        cache.clear()
        ours, theirs = store(key), DjangoStore(key)
        assert ours.load() == theirs.load(), key
        assert ours.session_key == theirs.session_key, key
    assert store(live.session_key).load()["word"] == "привет"
    # Written by ours, read by Django's: the same signature salt both ways.
    written = store()
    written["learner_id"] = 9
    written.save()
    assert DjangoStore(written.session_key).load()["learner_id"] == 9
    row = store(live.session_key)._get_session_from_db()
    assert row.expire_date == Session.objects.get(pk=live.session_key).expire_date
    assert timezone.is_aware(row.expire_date)
    if store is CachedSessionStore:
        cache.clear()
        cached = store(live.session_key)
        cached.load()
        assert cache.get(cached.cache_key) == DjangoStore(live.session_key).load()


@pytest.mark.parametrize("store", [SessionStore, CachedSessionStore])
@pytest.mark.parametrize(
    "key", ["abcdefgh\x00", "\x00" * 32, "a" * 41, "abcdefgh-ijk", "абвгдежзий"]
)
def test_a_session_key_django_never_makes_is_no_session(store, key):
    """A cookie reads as any string of 8 characters or more, and a quoted one can carry an
    escaped NUL, which PostgreSQL refuses in a query: such a key is not looked up."""
    assert store(key).session_key is None


@pytest.mark.parametrize("cookie", ['"\\000abcdefghijk"', '"abcdefghijk\\000"'])
def test_a_session_cookie_with_an_escaped_nul_is_a_page_not_a_500(client, version, cookie):
    """Django unquotes the cookie's octal escape into a NUL: a DataError on PostgreSQL.
    SQLite takes the NUL, so what is checked on both is that no session is looked up."""
    client.raise_request_exception = False
    with CaptureQueriesContext(connection) as queries:
        response = client.get(version.get_absolute_url(), HTTP_COOKIE=f"sessionid={cookie}")
    assert response.status_code == 200
    assert not [query for query in queries if "django_session" in query["sql"]]
    assert client.get("/progress/", HTTP_COOKIE=f"sessionid={cookie}").status_code == 200


def test_the_site_uses_the_sql_read_stores():
    engine = import_module(settings.SESSION_ENGINE)
    expected = CachedSessionStore if settings.REDIS_URL else SessionStore
    assert engine.SessionStore is expected


# --- anonymous learners whose session has gone ------------------------------------------------


def _learner_of(client):
    from climb.learning.learners import SESSION_KEY
    from climb.learning.models import Learner

    return Learner.objects.get(pk=client.session[SESSION_KEY])


def test_an_anonymous_learner_is_stamped_seen_with_the_day_s_first_visit_only(client, version):
    answer_first_question(client, version)
    learner = _learner_of(client)
    long_ago = timezone.now() - timedelta(days=80)
    type(learner).objects.filter(pk=learner.pk).update(last_seen=long_ago)
    session = client.session
    session[RENEWED_KEY] = long_ago.date().isoformat()
    session.save()

    client.get(version.get_absolute_url())
    learner.refresh_from_db()
    assert learner.last_seen > timezone.now() - timedelta(minutes=1)

    type(learner).objects.filter(pk=learner.pk).update(last_seen=long_ago)
    client.get(version.get_absolute_url())  # the rest of the day: no stamp, no write
    learner.refresh_from_db()
    assert learner.last_seen == long_ago


def test_the_first_answer_makes_a_learner_seen_now_with_no_second_write(client, version):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        answer_first_question(client, version)
    learner = _learner_of(client)
    assert learner.last_seen > timezone.now() - timedelta(minutes=1)
    assert not [q for q in queries if q["sql"].startswith('UPDATE "learning_learner"')]


def test_clear_learners_deletes_only_anonymous_learners_whose_session_is_gone(version):
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from climb.learning.models import Answer, Learner

    from .factories import make_answer

    choice = version.steps.first().question.choices.first()
    now = timezone.now()
    lifetime = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    gone = Learner.objects.create(last_seen=now - lifetime - timedelta(days=3))
    recent = Learner.objects.create(last_seen=now - lifetime + timedelta(days=1))
    # Within the grace: its session may have been saved later that day.
    edge = Learner.objects.create(last_seen=now - lifetime - timedelta(hours=12))
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    signed_in = Learner.objects.create(user=user, last_seen=now - lifetime * 3)
    for learner in (gone, recent, edge, signed_in):
        make_answer(learner, choice)

    out = StringIO()
    call_command("clear_learners", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "Would delete 1 anonymous learner(s) with 1 answer(s)."
    assert Learner.objects.count() == 4

    call_command("clear_learners", stdout=out)
    assert "Deleted 1 anonymous learner(s) with 1 answer(s)." in out.getvalue()
    assert set(Learner.objects.values_list("pk", flat=True)) == {recent.pk, edge.pk, signed_in.pk}
    assert Answer.objects.count() == 3
