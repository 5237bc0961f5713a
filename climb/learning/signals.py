from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .learners import adopt_session_learner
from .sessions import mark_renewed


@receiver(user_logged_in)
def merge_anonymous_progress(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        adopt_session_learner(request, user)
        # Logging in saves the session anyway: today's renewal comes with it, not on the
        # next page.
        mark_renewed(request.session)
