"""The two queries a learner runs on every piece page and answer, written out in SQL.

Both are small and indexed, and the ORM took longer to build and compile them than the
database took to run them (measured with `make profile`: together ~1.2 of a learner page's
~3.5 ms). Everything else goes through the ORM. tests/test_queries.py holds each against
the ORM query it replaces, on SQLite and PostgreSQL, so the two cannot drift apart.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection


def _table(model: str) -> str:
    """A model's table, quoted. (Looked up by name: climb.learning.models uses this module.)"""
    return connection.ops.quote_name(apps.get_model(model)._meta.db_table)


def _column(name: str) -> str:
    return connection.ops.quote_name(name)


def round_answers(
    learner_id: int, version_id: int, question_ids: list[int]
) -> list[tuple[int, int | None, bool, int]]:
    """(question, choice, is_correct, attempt) of the learner's answers to these questions
    (the version's), in the round they are on in the version: 1 unless a Retake says more."""
    if not question_ids:
        return []
    answer, retake = _table("learning.Answer"), _table("learning.Retake")
    round_ = _column("round")
    marks = ", ".join(["%s"] * len(question_ids))
    sql = (
        f"SELECT question_id, choice_id, is_correct, attempt FROM {answer} "
        f"WHERE learner_id = %s AND question_id IN ({marks}) AND {round_} = COALESCE("
        f"(SELECT {round_} FROM {retake} WHERE learner_id = %s AND version_id = %s), 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [learner_id, *question_ids, learner_id, version_id])
        return [(q, c, bool(right), n) for q, c, right, n in cursor.fetchall()]


def first_attempt_counts(
    learner_id: int, climb_id: int | None = None
) -> list[tuple[int, int, int, int]]:
    """(version, round, first attempts, right ones) of the learner, in one climb or all."""
    answer, question = _table("learning.Answer"), _table("lessons.Question")
    step = _table("lessons.Step")
    round_ = _column("round")
    sql = (
        f"SELECT s.version_id, a.{round_}, COUNT(*), "
        f"SUM(CASE WHEN a.is_correct THEN 1 ELSE 0 END) "
        f"FROM {answer} a JOIN {question} q ON q.id = a.question_id "
        f"JOIN {step} s ON s.id = q.step_id "
    )
    params: list[int] = [learner_id]
    where = "WHERE a.learner_id = %s AND a.attempt = 1 "
    if climb_id is not None:
        sql += (
            f"JOIN {_table('lessons.TierVersion')} v ON v.id = s.version_id "
            f"JOIN {_table('lessons.Piece')} p ON p.id = v.piece_id "
        )
        where += "AND p.climb_id = %s "
        params.append(climb_id)
    sql += where + f"GROUP BY s.version_id, a.{round_}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(v, r, int(n), int(right)) for v, r, n, right in cursor.fetchall()]
