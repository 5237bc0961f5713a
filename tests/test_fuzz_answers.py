"""Whatever arrives at the answer endpoint: a 4xx or a redirect, never a 500, and no
answer that was already counted ever changes."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from climb.learning.models import Answer

from .factories import make_piece, make_version

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def counted(client):
    """A learner with one counted (wrong) first answer; returns its question and snapshot."""
    version = make_version(make_piece(), steps=2)
    question = version.steps.first().question
    wrong = question.choices.filter(is_correct=False).first()
    client.post("/answer/", {"question": question.pk, "choice": wrong.pk, "attempt": 1})
    assert snapshot(), "the counted answer the fuzzer must not change"
    return question


def snapshot():
    return list(
        Answer.objects.filter(attempt=1).values_list("pk", "question_id", "choice_id", "is_correct")
    )


def unchanged(before) -> bool:
    """The first answers counted before are all still there, as they were. (A valid post
    may add one: the fixture's wrong answer opened the second question, which the fuzzer
    sometimes answers properly.)"""
    pks = {row[0] for row in before}
    return [row for row in snapshot() if row[0] in pks] == before


ids = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.text(max_size=30),
    st.sampled_from(["", "0", "1", "2", "3", "4", "5", "6", "1e3", "0x10", " 1", "١"]),
)


class Abort(Exception):
    pass


def run_rolled_back(fn):
    """Run `fn` and roll back what it wrote, so examples don't leak into each other."""
    try:
        with transaction.atomic():
            fn()
            raise Abort
    except Abort:
        pass


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["question", "choice", "attempt", "csrfmiddlewaretoken", "x"]),
        ids.map(str),
        max_size=4,
    ),
    htmx=st.booleans(),
)
def test_any_form_post_gets_a_clear_answer(client, counted, data, htmx):
    before = snapshot()

    def check():
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post("/answer/", data, headers=headers)
        assert response.status_code in (200, 302, 400), response.status_code
        assert unchanged(before)

    run_rolled_back(check)


@FUZZ
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "application/json",
            "text/plain",
        ]
    ),
    method=st.sampled_from(["post", "put", "patch", "delete", "get", "options", "head"]),
)
def test_any_body_and_method_never_500(client, counted, body, content_type, method):
    before = snapshot()

    def check():
        response = client.generic(method.upper(), "/answer/", data=body, content_type=content_type)
        assert 200 <= response.status_code < 500
        assert unchanged(before)

    run_rolled_back(check)
