"""The queries a learner runs on every piece page and answer, written out in SQL.

All are small and indexed, and the ORM took longer to build and compile them than the
database took to run them (measured with `make profile`: the round and first-attempt
queries ~1.2 of a learner page's ~3.5 ms; the learner check ~0.45 of an answer's 2.8 ms).
Everything else goes through the ORM. tests/test_queries.py holds each against the ORM
query it replaces, on SQLite and PostgreSQL, so the two cannot drift apart. (The session
read, the other query of every such request, is in climb.learning.sessions.)
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection


def _table(model: str) -> str:
    """A model's table, quoted. (Looked up by name: climb.learning.models uses this module.)"""
    return connection.ops.quote_name(apps.get_model(model)._meta.db_table)


def _column(name: str) -> str:
    return connection.ops.quote_name(name)


def _round_sql() -> str:
    """The learner's round in a version (parameters: learner, version): 1 without a Retake."""
    round_ = _column("round")
    return (
        f"COALESCE((SELECT {round_} FROM {_table('learning.Retake')} "
        "WHERE learner_id = %s AND version_id = %s), 1)"
    )


def round_answers(
    learner_id: int, version_id: int, question_ids: list[int]
) -> tuple[int, list[tuple[int, int | None, bool, int]]]:
    """The round the learner is on in the version (1 unless a Retake says more) and
    (question, choice, is_correct, attempt) of their answers in it to these questions (the
    version's). One query: the round comes back even when nothing is answered in it yet."""
    if not question_ids:
        return 1, []
    marks = ", ".join(["%s"] * len(question_ids))
    sql = (
        f"SELECT r.n, a.question_id, a.choice_id, a.is_correct, a.attempt "
        f"FROM (SELECT {_round_sql()} AS n) r "
        f"LEFT JOIN {_table('learning.Answer')} a ON a.learner_id = %s "
        f"AND a.question_id IN ({marks}) AND a.{_column('round')} = r.n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [learner_id, version_id, learner_id, *question_ids])
        rows = cursor.fetchall()
    return rows[0][0], [(q, c, bool(right), n) for _, q, c, right, n in rows if q is not None]


def first_attempt_counts(
    learner_id: int, climb_id: int | None = None
) -> list[tuple[int, int, int, int]]:
    """(version, round, first attempts, right ones) of the learner, in one climb or all;
    and (version, round, 0, 0) for the round the learner is on in each version they climb
    again (their Retake rows), answered in yet or not: a round just started has no answers
    to count, and would otherwise be unseen (the pages said "climb it again" of a piece the
    learner was already climbing again). In the same query, so pages keep their count."""
    answer, question = _table("learning.Answer"), _table("lessons.Question")
    step, retake = _table("lessons.Step"), _table("learning.Retake")
    round_ = _column("round")
    in_climb = ""
    if climb_id is not None:
        in_climb = (
            f"JOIN {_table('lessons.TierVersion')} v ON v.id = {{version}} "
            f"JOIN {_table('lessons.Piece')} p ON p.id = v.piece_id "
        )
    answered = (
        f"SELECT s.version_id, a.{round_}, COUNT(*), "
        f"SUM(CASE WHEN a.is_correct THEN 1 ELSE 0 END) "
        f"FROM {answer} a JOIN {question} q ON q.id = a.question_id "
        f"JOIN {step} s ON s.id = q.step_id " + in_climb.format(version="s.version_id")
    )
    started = f"SELECT r.version_id, r.{round_}, 0, 0 FROM {retake} r " + in_climb.format(
        version="r.version_id"
    )
    where = "AND p.climb_id = %s " if climb_id is not None else ""
    sql = (
        f"{answered}WHERE a.learner_id = %s AND a.attempt = 1 {where}"
        f"GROUP BY s.version_id, a.{round_} "
        f"UNION ALL {started}WHERE r.learner_id = %s {where}"
    )
    params = [learner_id, climb_id] if climb_id is not None else [learner_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 2)
        return [(v, r, int(n), int(right)) for v, r, n, right in cursor.fetchall()]


def owned_learner(learner_id: int, user_id: int | None):
    """The Learner with this id if it is the user's (None: an anonymous one), else None.

    Run on every answer, to check the id the session holds. Only the id and the user are
    read; the other fields load if something asks for them (nothing on the answer path)."""
    model = apps.get_model("learning.Learner")
    owner = "IS NULL" if user_id is None else "= %s"
    sql = f"SELECT id, user_id FROM {_table('learning.Learner')} WHERE id = %s AND user_id {owner}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [learner_id] if user_id is None else [learner_id, user_id])
        row = cursor.fetchone()
    return None if row is None else model.from_db(connection.alias, ["id", "user_id"], row)
