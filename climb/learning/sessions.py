"""Sessions: Django's database store read in SQL, and kept alive while a learner comes back.

SessionStore here and in climb.learning.cached_sessions are SESSION_ENGINE's stores (settings
picks one): Django's own, with the read every request with a session makes written out in
SQL. Both classes are named SessionStore, as Django's are: the name salts the signature of
the stored data, so sessions written before the switch still read.

Keeping it alive: Django sets the session cookie's expiry when the session is saved, and an
answer post saves it only when the learner changes (one write per answer, not two). Left at
that, a session would end SESSION_COOKIE_AGE after its first answer however often its
learner came back, taking an anonymous learner's progress with it and logging a signed-in
one out. So the first request of each day that reads a session with something in it marks
it, which saves it once and moves its expiry forward: the session ends only after that
long away.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

RENEWED_KEY = "renewed"
# The session table's key column (django.contrib.sessions.models.Session.session_key).
SESSION_KEY_MAX_LENGTH = 40


def mark_renewed(session) -> bool:
    """Stamp today on the session; saving it then sets the expiry from now. Returns whether
    this request is the day's first (the stamp changed)."""
    today = timezone.now().date().isoformat()
    if session.get(RENEWED_KEY) == today:
        return False
    session[RENEWED_KEY] = today
    return True


def note_anonymous_visit(request, session) -> None:
    """Move an anonymous learner's last_seen with its session's expiry: one UPDATE a day.
    A learner made by this very request was seen now already."""
    from .learners import SESSION_KEY  # the session engine loads before the models do
    from .models import Learner

    learner_id = session.get(SESSION_KEY)
    user = getattr(request, "user", None)  # this middleware sits before authentication's
    signed_in = user is not None and user.is_authenticated
    if learner_id is None or signed_in or getattr(request, "new_learner", False):
        return
    Learner.objects.filter(pk=learner_id, user__isnull=True).update(last_seen=timezone.now())


class RenewSessionMiddleware:
    """Inside SessionMiddleware, which saves the session and sets the cookie on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session the request read anyway (no extra query) and that holds something:
        # a first-time reader gets no session from this.
        if (
            session is not None
            and session.accessed
            and not session.is_empty()
            and mark_renewed(session)
        ):
            note_anonymous_visit(request, session)
        return response


class ReadInSQL:
    """Django's database session store, with the one read every request with a session
    makes written out in SQL. Building and compiling the ORM query cost more than running
    it (~14% of an answer post's CPU in `make profile`); saving, expiry and everything else
    are Django's. tests/test_sessions.py holds it to Django's own store."""

    def _validate_session_key(self, key) -> bool:
        # Django hands out 32 letters and digits, but takes any cookie of 8 characters or
        # more; a quoted one may carry an escaped NUL ("\000"), which PostgreSQL refuses in a
        # query parameter: a 500 on every page for whoever sent it, each logged as an error.
        # A key Django never makes is no session, and nothing is asked of the database.
        return bool(
            super()._validate_session_key(key)
            and len(key) <= SESSION_KEY_MAX_LENGTH
            and key.isascii()
            and key.isalnum()
        )

    def _get_session_from_db(self):
        connection = connections[router.db_for_read(self.model)]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_data')}, {quote('expire_date')} "
            f"FROM {quote(self.model._meta.db_table)} "
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        expire_date = row[1]
        if settings.USE_TZ and timezone.is_naive(expire_date):  # SQLite's, as the ORM does
            expire_date = timezone.make_aware(expire_date, connection.timezone)
        return self.model(
            session_key=self.session_key, session_data=row[0], expire_date=expire_date
        )


class SessionStore(ReadInSQL, db.SessionStore):
    """SESSION_ENGINE = "climb.learning.sessions": sessions in the database (no Redis)."""
