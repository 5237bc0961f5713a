"""SESSION_ENGINE with Redis: Django's cached_db sessions (the cache in front of the
database), read from the database in SQL on a cache miss (see climb.learning.sessions)."""

from django.contrib.sessions.backends import cached_db

from .sessions import ReadInSQL


class SessionStore(ReadInSQL, cached_db.SessionStore):
    pass
