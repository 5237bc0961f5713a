"""Who is answering: the signed-in user's learner, or an anonymous one kept in the session.

Page views only need the learner's id, which the session holds, so reading progress costs no
extra query; a row is created only when an anonymous visitor first answers.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import Learner
from .queries import owned_learner

SESSION_KEY = "learner_id"


def learner_id_for(request: HttpRequest) -> int | None:
    if request.user.is_authenticated:
        learner_id = request.session.get(SESSION_KEY)
        if learner_id is None:
            learner_id = Learner.objects.get_or_create(user=request.user)[0].pk
            request.session[SESSION_KEY] = learner_id
        return learner_id
    return request.session.get(SESSION_KEY)


def learner_for(request: HttpRequest) -> Learner:
    """The learner to record an answer for, created on the first answer."""
    learner_id = learner_id_for(request)
    user_id = request.user.pk if request.user.is_authenticated else None
    learner = owned_learner(learner_id, user_id) if learner_id is not None else None
    if learner is None:
        if user_id is not None:
            learner = Learner.objects.get_or_create(user=request.user)[0]
        else:
            learner = Learner.objects.create()
            request.new_learner = True  # its last_seen is now: the session needs no stamp
    # Write the session only when it changes: an answer post should cost one write, not two.
    if request.session.get(SESSION_KEY) != learner.pk:
        request.session[SESSION_KEY] = learner.pk
    return learner


def adopt_session_learner(request: HttpRequest, user) -> Learner:
    """On login or sign-up: merge the session's anonymous progress into the user's."""
    target = Learner.objects.get_or_create(user=user)[0]
    anonymous_id = request.session.get(SESSION_KEY)
    if anonymous_id and anonymous_id != target.pk:
        anonymous = Learner.objects.filter(pk=anonymous_id, user__isnull=True).first()
        if anonymous is not None and anonymous.merge_into(target):
            # Said where the next page shows messages (progress, a piece): a newcomer who
            # signed up could not tell whether their answers had come along. (Quietly
            # skipped for a login made without the messages middleware: force_login.)
            messages.success(
                request,
                _("Your answers from this browser are in your account now."),
                fail_silently=True,
            )
    request.session[SESSION_KEY] = target.pk
    if target.language:
        request.restore_language = target.language  # PreferredLanguageMiddleware sets the cookie
    return target
