from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .learners import adopt_session_learner


@receiver(user_logged_in)
def merge_anonymous_progress(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        adopt_session_learner(request, user)
