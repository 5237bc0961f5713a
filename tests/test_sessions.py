"""An active learner's session, and with it their progress, does not run out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from climb.learning.sessions import RENEWED_KEY

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
