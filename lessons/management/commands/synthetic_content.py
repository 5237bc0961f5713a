"""`manage.py synthetic_content`: a large made-up climb, to measure search at scale.

The text is generated from word lists and sentence templates (seeded, so reproducible): titles,
cruxes, prose, Go and Python snippets, logs, questions with choices, and a Russian translation
of about one version in three. Rows are written with bulk_create (no Markdown, no signals):
the HTML columns get plain escaped paragraphs (the text has no markup), the snippets real
Pygments highlighting, and the search index one rebuild at the end.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from html import escape

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import ProtectedError

from lessons import rendering, search_index
from lessons.models import Choice, Climb, Piece, Question, Status, Step, Tier, TierVersion

SLUG = "synthetic"

# (English, Russian) side by side, so a translated version says the same thing.
TOPICS = [
    ("Leases", "Аренды"),
    ("Fencing tokens", "Токены ограждения"),
    ("Leader election", "Выборы лидера"),
    ("Heartbeats", "Пульс узлов"),
    ("Quorum reads", "Чтение с кворумом"),
    ("Idempotency keys", "Ключи идемпотентности"),
    ("Retries with backoff", "Повторы с задержкой"),
    ("Circuit breakers", "Автоматические выключатели"),
    ("Rate limiting", "Ограничение частоты"),
    ("Clock skew", "Расхождение часов"),
    ("Vector clocks", "Векторные часы"),
    ("Write-ahead logs", "Журналы упреждающей записи"),
    ("Snapshots", "Снимки"),
    ("Replication lag", "Отставание реплик"),
    ("Read repair", "Починка при чтении"),
    ("Consistent hashing", "Согласованное хеширование"),
    ("Two-phase commit", "Двухфазная фиксация"),
    ("Sagas", "Саги"),
    ("The outbox pattern", "Шаблон outbox"),
    ("Dead-letter queues", "Очереди недоставленных сообщений"),
    ("Backpressure", "Обратное давление"),
    ("Connection pools", "Пулы соединений"),
    ("Deadlines and cancellation", "Дедлайны и отмена"),
    ("Optimistic locking", "Оптимистичные блокировки"),
    ("Compare-and-swap", "Сравнение с обменом"),
    ("Gossip membership", "Членство через слухи"),
    ("Failure detectors", "Детекторы отказов"),
    ("Split brain", "Расщепление мозга"),
    ("Compaction", "Уплотнение"),
    ("Tombstones", "Надгробия"),
]
PLACES = [
    ("in etcd", "в etcd"),
    ("in ZooKeeper", "в ZooKeeper"),
    ("in PostgreSQL", "в PostgreSQL"),
    ("in Redis", "в Redis"),
    ("with Kafka", "с Kafka"),
    ("on Kubernetes", "в Kubernetes"),
    ("across regions", "между регионами"),
    ("under load", "под нагрузкой"),
    ("after a deploy", "после выкладки"),
    ("in a payment service", "в платёжном сервисе"),
    ("in a job scheduler", "в планировщике задач"),
    ("in object storage", "в объектном хранилище"),
]
ASPECTS = {
    Tier.ZERO: ("what it is", "что это такое"),
    Tier.JUNIOR: ("how to use it", "как этим пользоваться"),
    Tier.MIDDLE: ("how it fails", "как это ломается"),
    Tier.SENIOR: ("reading the code and logs", "чтение кода и логов"),
}
NOUNS = [
    ("lease", "аренда"),
    ("token", "токен"),
    ("leader", "лидер"),
    ("replica", "реплика"),
    ("quorum", "кворум"),
    ("write", "запись"),
    ("timeout", "тайм-аут"),
    ("retry", "повтор"),
    ("snapshot", "снимок"),
    ("partition", "раздел"),
    ("heartbeat", "пульс"),
    ("deadline", "дедлайн"),
    ("queue", "очередь"),
    ("transaction", "транзакция"),
    ("checkpoint", "контрольная точка"),
    ("follower", "ведомый"),
    ("client", "клиент"),
    ("store", "хранилище"),
    ("session", "сессия"),
    ("revision", "ревизия"),
]
VERBS = [
    ("expires", "истекает"),
    ("renews", "продлевается"),
    ("rejects the write", "отклоняет запись"),
    ("pauses", "замирает"),
    ("retries", "повторяет"),
    ("times out", "ждёт до тайм-аута"),
    ("falls behind", "отстаёт"),
    ("wins the election", "побеждает на выборах"),
    ("loses the lock", "теряет блокировку"),
    ("replays the log", "проигрывает журнал"),
]
SENTENCES = [
    ("The {noun} {verb} while nobody is watching.", "{Noun} {verb}, пока никто не смотрит."),
    (
        "A {noun} that {verb} is the usual start of an incident {place}.",
        "{Noun}, который {verb}, — обычное начало инцидента {place}.",
    ),
    (
        "Read the snippet and find the line where the {noun} {verb}.",
        "Прочитайте фрагмент и найдите строку, где {noun} {verb}.",
    ),
    (
        "Nothing in {ident} checks whether the {noun} is still valid.",
        "Ничто в {ident} не проверяет, действует ли ещё {noun}.",
    ),
    (
        "The fix is not a longer timeout: the {noun} must carry a fencing token.",
        "Лечится не длинным тайм-аутом: {noun} должен нести токен ограждения.",
    ),
    (
        "Call {ident} before the {noun} {verb}, and check the result.",
        "Вызовите {ident}, пока {noun} не {verb}, и проверьте результат.",
    ),
    (
        "Under load the {noun} {verb} more often than the dashboard suggests.",
        "Под нагрузкой {noun} {verb} чаще, чем кажется по графикам.",
    ),
    (
        "The log shows the {noun} {verb} two seconds before the write lands.",
        "По логу видно: {noun} {verb} за две секунды до того, как запись дошла.",
    ),
    (
        "Each {noun} gets a number that only goes up; the store keeps the highest.",
        "Каждый {noun} получает номер, который только растёт; хранилище помнит наибольший.",
    ),
    (
        "A garbage-collection pause is enough: the {noun} {verb} and nobody notices.",
        "Хватает паузы сборщика мусора: {noun} {verb}, и никто этого не замечает.",
    ),
]
TYPES = ["LeaseManager", "ElectionClient", "TokenStore", "Replica", "WriteAheadLog",
         "ShardRouter", "RetryPolicy", "CircuitBreaker", "SessionPool", "Scheduler"]  # fmt: skip
METHODS = ["Acquire", "Renew", "KeepAlive", "Campaign", "Resign", "Append", "Flush", "Compact",
           "Rebalance", "Backoff", "Heartbeat", "Commit", "Revoke", "Observe"]  # fmt: skip
FIELDS = ["lease", "session", "token", "leader", "wal", "ring", "breaker", "pool"]
GO = """\
func (s *{Type}) {Method}(ctx context.Context, id {Type}ID) error {{
    {field}, err := s.client.{Method2}(ctx, id)
    if err != nil {{
        return fmt.Errorf("{method} {noun}: %w", err)
    }}
    if !{field}.Held() {{
        return errLost{Type}
    }}
    s.metrics.{Method}Total.Inc()
    return s.store.Put(ctx, key, {field}.Token())
}}"""
PYTHON = """\
class {Type}:
    def {method}(self, {field}_id: int, timeout: float = 10.0) -> bool:
        {field} = self.{field}s.get({field}_id)
        if {field} is None or {field}.expired(now=time.monotonic()):
            raise Lost{Type}({field}_id)
        self.last_{method} = time.monotonic()
        return self.store.put(key, value, fencing_token={field}.token)"""
LOG = """\
12:00:01.204 {field}-a  {method} ok id=7 ttl=10s token=33
12:00:03.911 {field}-a  gc pause started
12:00:11.502 lockd      {noun} expired id=7
12:00:11.530 {field}-b  {method} ok id=8 ttl=10s token=34
12:00:13.044 {field}-a  gc pause ended after 9.1s
12:00:13.051 store      write REJECTED token=33 highest=34"""
SNIPPETS = [("go", GO), ("python", PYTHON), ("log", LOG)]
PROMPTS = [
    ("What happens when {ident} returns after the {noun} {verb}?",
     "Что будет, если {ident} вернётся после того, как {noun} {verb}?"),
    ("Which line lets a stale {noun} write?",
     "Какая строка позволяет устаревшему объекту «{noun}» писать?"),
    ("Why does the store reject the second write?",
     "Почему хранилище отклоняет вторую запись?"),
]  # fmt: skip
CHOICES = [
    ("The store compares the fencing token and rejects the old one.",
     "Хранилище сравнивает токен ограждения и отклоняет старый."),
    ("Nothing: the {noun} is renewed in the background.",
     "Ничего: {noun} продлевается в фоне."),
    ("The client retries until the timeout and gives up.",
     "Клиент повторяет до тайм-аута и сдаётся."),
    ("Both writes land and the last one wins.",
     "Обе записи проходят, побеждает последняя."),
]  # fmt: skip


@dataclass
class SyntheticReport:
    pieces: int
    versions: int
    steps: int
    created: bool
    seconds: float


class _Writer:
    """Fills the templates from one seeded random generator, English and Russian together."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def words(self) -> dict[str, tuple[str, str]]:
        noun, verb = self.random.choice(NOUNS), self.random.choice(VERBS)
        ident = f"{self.random.choice(FIELDS)}.{self.random.choice(METHODS)}()"
        place = self.random.choice(PLACES)
        return {
            "noun": noun,
            "Noun": (noun[0].capitalize(), noun[1].capitalize()),
            "verb": verb,
            "ident": (ident, ident),
            "place": place,
        }

    def fill(self, template: tuple[str, str]) -> tuple[str, str]:
        words = self.words()
        return tuple(
            template[i].format(**{key: value[i] for key, value in words.items()}) for i in (0, 1)
        )

    def paragraph(self, sentences: int) -> tuple[str, str]:
        filled = [self.fill(self.random.choice(SENTENCES)) for _ in range(sentences)]
        return " ".join(en for en, _ in filled), " ".join(ru for _, ru in filled)

    def snippet(self) -> tuple[str, str]:
        language, template = self.random.choice(SNIPPETS)
        type_, method, method2 = (
            self.random.choice(TYPES),
            self.random.choice(METHODS),
            self.random.choice(METHODS),
        )
        code = template.format(
            Type=type_,
            Method=method,
            Method2=method2,
            method=method.lower(),
            field=self.random.choice(FIELDS),
            noun=self.random.choice(NOUNS)[0],
        )
        return language, code


def _html(text: str) -> str:
    return f"<p>{escape(text)}</p>" if text else ""


def create_synthetic_climb(
    pieces: int = 1000, seed: int = 1, reset: bool = False
) -> SyntheticReport:
    """The `synthetic` climb with `pieces` published pieces; left alone if it exists already.

    Never touches another climb. With `reset`, an existing synthetic climb is deleted first
    (refused if learners answered its questions).
    """
    started = time.perf_counter()
    existing = Climb.objects.filter(slug=SLUG).first()
    if existing is not None and not reset:
        versions = TierVersion.objects.filter(piece__climb=existing)
        return SyntheticReport(
            pieces=existing.pieces.count(),
            versions=versions.count(),
            steps=Step.objects.filter(version__in=versions).count(),
            created=False,
            seconds=time.perf_counter() - started,
        )
    writer = _Writer(seed)
    with transaction.atomic():
        if existing is not None:
            existing.delete()
        climb = Climb.objects.create(
            slug=SLUG,
            title="Synthetic climb",
            title_ru="Синтетический маршрут",
            description="Generated text for measuring search. Not for reading.",
            description_html="<p>Generated text for measuring search. Not for reading.</p>",
            order=1000,
        )
        created_pieces = Piece.objects.bulk_create(
            Piece(climb=climb, slug=f"synthetic-{n:05d}", order=n) for n in range(1, pieces + 1)
        )
        versions = TierVersion.objects.bulk_create(
            _version(writer, piece) for piece in created_pieces
        )
        steps = Step.objects.bulk_create(
            step
            for version in versions
            for step in _steps(writer, version, translated=bool(version.title_ru))
        )
        with_questions = [step for step in steps if writer.random.random() < 0.8]
        questions = Question.objects.bulk_create(
            _question(writer, step, translated=bool(step.heading_ru)) for step in with_questions
        )
        Choice.objects.bulk_create(
            choice
            for question in questions
            for choice in _choices(writer, question, translated=bool(question.prompt_ru))
        )
    search_index.rebuild()  # bulk_create sent no signals: one rebuild for everything
    if connection.vendor == "postgresql":
        # Fresh statistics for the tables just filled, before autovacuum gets to them: with
        # the old ones (a handful of rows) the planner picks nested loops over 1,000 rows.
        with connection.cursor() as cursor:
            for model in (Climb, Piece, TierVersion, Step, Question, Choice):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return SyntheticReport(
        pieces=len(created_pieces),
        versions=len(versions),
        steps=len(steps),
        created=True,
        seconds=time.perf_counter() - started,
    )


def _version(writer: _Writer, piece: Piece) -> TierVersion:
    tier = writer.random.choice(list(Tier))
    topic, place = writer.random.choice(TOPICS), writer.random.choice(PLACES)
    aspect = ASPECTS[tier]
    title = [f"{topic[i]} {place[i]}: {aspect[i]}" for i in (0, 1)]
    crux = writer.fill(writer.random.choice(SENTENCES))
    intro, goal, recap = (writer.paragraph(n) for n in (3, 2, 2))
    translated = writer.random.random() < 0.33

    def ru(pair: tuple[str, str] | list[str]) -> str:
        return pair[1] if translated else ""

    version = TierVersion(
        piece=piece,
        tier=tier,
        status=Status.PUBLISHED,
        title=title[0],
        crux=crux[0][:300],
        minutes=writer.random.randint(5, 20),
        intro=intro[0],
        goal=goal[0],
        recap=recap[0],
        title_ru=ru(title),
        crux_ru=ru(crux)[:300],
        intro_ru=ru(intro),
        goal_ru=ru(goal),
        recap_ru=ru(recap),
    )
    for name in ("intro", "goal", "recap", "intro_ru", "goal_ru", "recap_ru"):
        setattr(version, f"{name}_html", _html(getattr(version, name)))
    return version


def _steps(writer: _Writer, version: TierVersion, translated: bool) -> list[Step]:
    steps = []
    for position in range(writer.random.randint(3, 5)):
        heading = writer.fill(("Where the {noun} {verb}", "Где {noun} {verb}"))
        if any(step.heading == heading[0] for step in steps):  # unique in a version
            heading = tuple(f"{text} ({position + 1})" for text in heading)
        prose = writer.paragraph(writer.random.randint(2, 4))
        after = writer.paragraph(1) if writer.random.random() < 0.5 else ("", "")
        language, code = writer.snippet()
        step = Step(
            version=version,
            position=position,
            heading=heading[0],
            prose=prose[0],
            language=language,
            code=code,
            marked_lines="2",
            prose_after=after[0],
            heading_ru=heading[1] if translated else "",
            prose_ru=prose[1] if translated else "",
            prose_after_ru=after[1] if translated else "",
        )
        step.prose_html, step.prose_after_html = _html(step.prose), _html(step.prose_after)
        step.prose_ru_html, step.prose_after_ru_html = (
            _html(step.prose_ru),
            _html(step.prose_after_ru),
        )
        step.code_html = rendering.highlight_snippet(code, language, step.marked_lines)
        steps.append(step)
    return steps


def _question(writer: _Writer, step: Step, translated: bool) -> Question:
    prompt = writer.fill(writer.random.choice(PROMPTS))
    return Question(
        step=step,
        prompt=prompt[0],
        prompt_html=_html(prompt[0]),
        prompt_ru=prompt[1] if translated else "",
        prompt_ru_html=_html(prompt[1]) if translated else "",
    )


def _choices(writer: _Writer, question: Question, translated: bool) -> list[Choice]:
    texts = writer.random.sample(CHOICES, writer.random.randint(3, 4))
    correct = writer.random.randrange(len(texts))
    choices = []
    for position, template in enumerate(texts):
        text = writer.fill(template)
        explanation = writer.paragraph(1)
        choices.append(
            Choice(
                question=question,
                position=position,
                text=text[0],
                text_html=escape(text[0]),
                is_correct=position == correct,
                explanation=explanation[0],
                explanation_html=_html(explanation[0]),
                text_ru=text[1] if translated else "",
                text_ru_html=escape(text[1]) if translated else "",
                explanation_ru=explanation[1] if translated else "",
                explanation_ru_html=_html(explanation[1]) if translated else "",
            )
        )
    return choices


class Command(BaseCommand):
    help = (
        "Create the 'synthetic' climb: PIECES published pieces of generated text and code, "
        "to measure search at scale (see bench_search). Other climbs are never touched; an "
        "existing synthetic climb is left as it is unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--pieces", type=int, default=1000, help="How many pieces (default 1000)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: the same seed, the same text."
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the synthetic climb first, if any."
        )

    def handle(self, *args, pieces: int, seed: int, reset: bool, **options):
        if pieces < 1:
            raise CommandError("--pieces must be 1 or more")
        try:
            report = create_synthetic_climb(pieces=pieces, seed=seed, reset=reset)
        except ProtectedError:
            raise CommandError(
                "learners answered questions of the synthetic climb: it cannot be reset"
            ) from None
        if report.created:
            self.stdout.write(
                f"synthetic climb: {report.pieces} pieces, {report.versions} tier versions, "
                f"{report.steps} steps, indexed, in {report.seconds:.1f} s"
            )
        else:
            self.stdout.write(
                f"synthetic climb already there ({report.pieces} pieces): "
                "nothing done; --reset to make it again"
            )
