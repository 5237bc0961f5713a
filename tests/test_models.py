"""Content rows render their HTML when saved, and the database refuses impossible content."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from lessons.models import Choice, Source, Step, Tier, TierVersion

from .factories import make_piece, make_question, make_step, make_version

pytestmark = pytest.mark.django_db


def test_saving_a_version_stores_rendered_markdown():
    version = make_version(intro="Hello *there*", recap="<script>x</script>Done")
    version.refresh_from_db()
    assert version.intro_html == "<p>Hello <em>there</em></p>"
    assert "<script" not in version.recap_html


def test_saving_again_renders_only_what_changed(monkeypatch):
    version = make_version()
    version = TierVersion.objects.get(pk=version.pk)
    calls = []
    from lessons import rendering

    original = rendering.render_markdown
    monkeypatch.setattr(
        rendering, "render_markdown", lambda text: calls.append(text) or original(text)
    )
    version.goal = "A new goal."
    version.save()
    assert calls == ["A new goal."]


def test_step_highlights_its_snippet_on_save():
    step = make_step(make_version(), question=False, code="x := 1\ny := 2", marked_lines="2")
    assert 'class="line marked"' in Step.objects.get(pk=step.pk).code_html


def test_step_validation_rejects_unknown_language_and_bad_marks():
    step = Step(version=make_version(), heading="h", language="nope", code="x", marked_lines="9")
    with pytest.raises(ValidationError) as excinfo:
        step.full_clean()
    assert set(excinfo.value.message_dict) >= {"language", "marked_lines"}
    assert "unknown snippet language 'nope'" in excinfo.value.message_dict["language"][0]
    step.language = ""
    with pytest.raises(ValidationError) as excinfo:
        step.full_clean()
    assert excinfo.value.message_dict["language"] == ["A snippet needs a language."]


def test_a_climb_translation_needs_its_title():
    """climb.ru.md is written only for a climb with a Russian title: a description without
    one would be lost on the next export."""
    from lessons.models import Climb

    climb = Climb(slug="ds", title="DS", description_ru="Про лидеров.")
    with pytest.raises(ValidationError) as excinfo:
        climb.full_clean()
    assert excinfo.value.message_dict["title_ru"] == ["A translation needs its title too."]


def test_database_refuses_two_correct_choices():
    question = make_question(make_step(make_version(), question=False), correct=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(
            question=question, text="also right", is_correct=True, explanation="x"
        )


def test_database_refuses_two_versions_at_one_tier():
    piece = make_piece()
    make_version(piece, tier=Tier.JUNIOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_version(piece, tier=Tier.JUNIOR)


def test_database_refuses_a_javascript_source_url():
    version = make_version()
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(version=version, title="x", url="javascript:alert(1)")


def test_tier_slugs_round_trip():
    assert [t.slug for t in Tier] == ["zero", "junior", "middle", "senior"]
    assert Tier.from_slug("middle") is Tier.MIDDLE
    assert Tier.from_slug("expert") is None


@pytest.mark.django_db
def test_a_russian_field_may_not_start_with_the_untranslated_mark():
    """The code review: the admin's Russian question box refused a text typed after a mark
    left in place, but the plain Russian fields stored it, and the next export and import
    would have thrown it away (a marked part is "not translated yet")."""
    from django.core.exceptions import ValidationError

    from lessons.lessonfile import UNTRANSLATED

    from .factories import make_step, make_version

    version = make_version(title_ru="Аренды", crux_ru=f"{UNTRANSLATED} Аренда истекает.")
    step = make_step(version, heading_ru=f"  {UNTRANSLATED} Продлеваем")
    for obj, field in ((version, "crux_ru"), (step, "heading_ru")):
        with pytest.raises(ValidationError) as excinfo:
            obj.full_clean()
        assert list(excinfo.value.message_dict) == [field]
        assert "Remove the [untranslated] mark" in excinfo.value.message_dict[field][0]
    version.crux_ru = "Аренда истекает."
    version.full_clean()
