"""Keeping an active learner's session alive.

Django sets the session cookie's expiry when the session is saved, and an answer post saves
it only when the learner changes (one write per answer, not two). Left at that, a session
would end SESSION_COOKIE_AGE after its first answer however often its learner came back,
taking an anonymous learner's progress with it and logging a signed-in one out. So the
first request of each day that reads a session with something in it marks it, which saves
it once and moves its expiry forward: the session ends only after that long away.
"""

from __future__ import annotations

from django.utils import timezone

RENEWED_KEY = "renewed"


def mark_renewed(session) -> None:
    """Stamp today on the session; saving it then sets the expiry from now."""
    today = timezone.now().date().isoformat()
    if session.get(RENEWED_KEY) != today:
        session[RENEWED_KEY] = today


class RenewSessionMiddleware:
    """Inside SessionMiddleware, which saves the session and sets the cookie on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session the request read anyway (no extra query) and that holds something:
        # a first-time reader gets no session from this.
        if session is not None and session.accessed and not session.is_empty():
            mark_renewed(session)
        return response
