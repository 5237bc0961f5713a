"""The bench's steps that need the ORM, run in the environment of the database being measured.

    bench_django.py questions OUT.json        the demo climb's questions and choices, for locust
    bench_django.py learner USER PASS N       a user whose learner has N answers (a history)
    bench_django.py count                     how many Answer rows there are
    bench_django.py verify LOCUST_OUT.json    is every accepted answer a row? (exact check)
    bench_django.py page-html PATH OUT [USER] the page's HTML (anonymous or USER's) to OUT

Each prints one JSON object on its last line; bench_lib.django_helper() reads it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "climb.settings")

import django  # noqa: E402

django.setup()

from importlib import import_module  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from climb.learning.learners import SESSION_KEY  # noqa: E402
from climb.learning.models import Answer, Learner  # noqa: E402
from lessons.models import Question, Status  # noqa: E402


def questions(out: str) -> dict:
    """Every published piece page and its questions in step order (steps unfold in order):
    question id, choice ids, the correct one."""
    found = (
        Question.objects.filter(step__version__status=Status.PUBLISHED)
        .select_related("step__version__piece__climb")
        .prefetch_related("choices")
        .order_by("step__version_id", "step__position")
    )
    pages: dict[str, list[dict]] = {}
    for question in found:
        choices = list(question.choices.all())
        pages.setdefault(question.step.version.get_absolute_url(), []).append(
            {
                "id": question.pk,
                "choices": [c.pk for c in choices],
                "correct": next(c.pk for c in choices if c.is_correct),
            }
        )
    rows = [{"page": page, "questions": qs} for page, qs in sorted(pages.items())]
    Path(out).write_text(json.dumps({"pages": rows}))
    return {"questions": sum(len(qs) for qs in pages.values()), "pages": len(pages)}


def learner(username: str, password: str, wanted: int) -> dict:
    """A signed-in learner with a history of `wanted` answers, through Answer.record.

    Every question of the climb gets a run of wrong attempts then the right one (about
    wanted / questions attempts each, as a learner who retries a lot), so the history covers
    every piece, including the one whose page is measured.
    """
    user = get_user_model().objects.create_user(username=username, password=password)
    person = Learner.objects.create(user=user)
    found = list(
        Question.objects.filter(step__version__status=Status.PUBLISHED)
        .select_related("step__version__piece__climb")
        .prefetch_related("choices")
        .order_by("pk")
    )
    created = 0
    for index, question in enumerate(found):
        attempts = wanted // len(found) + (1 if index < wanted % len(found) else 0)
        choices = list(question.choices.all())
        right = next(c for c in choices if c.is_correct)
        wrong = [c for c in choices if not c.is_correct]
        for attempt in range(1, attempts + 1):
            # Wrong (cycling through the wrong choices) until the last attempt, then right.
            choice = right if attempt == attempts else wrong[(attempt - 1) % len(wrong)]
            created += Answer.record(person, choice, attempt).created
        person.record_altitude(question.step.version.piece.climb)
    return {"user": username, "answers": created, "learner": person.pk}


def count() -> dict:
    return {"answers": Answer.objects.count()}


def verify(path: str) -> dict:
    """Look up every (session, question, attempt) a client saw accepted as an Answer row."""
    keys = json.loads(Path(path).read_text())["accepted_keys"]
    store = import_module(settings.SESSION_ENGINE).SessionStore
    learners = {key: store(session_key=key).get(SESSION_KEY) for key in {k[0] for k in keys}}
    rows = set(
        Answer.objects.filter(learner_id__in={i for i in learners.values() if i}).values_list(
            "learner_id", "question_id", "attempt"
        )
    )
    missing = [k for k in keys if (learners.get(k[0]), k[1], k[2]) not in rows]
    return {"checked": len(keys), "sessions": len(learners), "missing": len(missing)}


def page_html(path: str, out: str, username: str = "") -> dict:
    """The page as an anonymous reader (or `username`) gets it, written to OUT."""
    client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(response.content)
    return {"bytes": len(response.content)}


ACTIONS = {
    "questions": lambda out: questions(out),
    "learner": lambda user, password, n: learner(user, password, int(n)),
    "count": count,
    "verify": verify,
    "page-html": page_html,
}

if __name__ == "__main__":
    action, *args = sys.argv[1:]
    print(json.dumps(ACTIONS[action](*args)))
