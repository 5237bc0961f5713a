"""Whether a Russian translation has kept up with its English original (lessons.translations).

The digests are recorded when content changes commit; the tests run inside a transaction,
so they commit through django_capture_on_commit_callbacks(execute=True).
"""

from __future__ import annotations

import shutil

import pytest
from django.core.management import call_command
from django.urls import reverse

from lessons.importer import DEMO_CONTENT, import_paths
from lessons.models import Choice, Step, Tier, TierVersion
from lessons.translations import behind

pytestmark = pytest.mark.django_db

BEHIND = "The English original of this piece has changed since it was translated"


@pytest.fixture
def translated(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_paths([DEMO_CONTENT])
    return TierVersion.objects.get(piece__slug="what-is-a-leader", tier=Tier.ZERO)


def fresh(version: TierVersion) -> TierVersion:
    return TierVersion.objects.get(pk=version.pk)


def test_an_imported_translation_is_up_to_date(translated):
    assert translated.digest and translated.digest_ru and translated.title_ru
    assert not translated.translation_behind
    assert behind() == []


def test_an_english_edit_leaves_the_russian_behind_until_it_is_edited_too(
    client, translated, django_capture_on_commit_callbacks
):
    """The audit's case: the English snippet and prompt changed, the Russian page went on
    showing the old ones, and nothing said so."""
    english_url = translated.get_absolute_url()  # before a /ru/ request activates Russian
    russian_url = "/ru" + english_url
    step = translated.steps.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        step.prose = step.prose + "\n\nOne more English sentence."
        step.save()
    assert fresh(translated).translation_behind
    assert behind() == [translated]
    russian = client.get(russian_url).content.decode()
    assert BEHIND not in russian  # the notice is in Russian
    assert "изменился после перевода" in russian
    english = client.get(english_url).content.decode()
    assert BEHIND not in english and "изменился" not in english

    with django_capture_on_commit_callbacks(execute=True):
        step.prose_ru = step.prose_ru + "\n\nЕщё одно предложение."
        step.save()
    assert not fresh(translated).translation_behind
    assert "изменился после перевода" not in client.get(russian_url).content.decode()


def test_a_choice_explanation_counts_and_the_admin_lists_and_clears_behind(
    admin_client, translated, django_capture_on_commit_callbacks
):
    choice = Step.objects.filter(version=translated).exclude(question=None).first()
    choice = choice.question.choices.first()
    with django_capture_on_commit_callbacks(execute=True):
        choice.explanation += " Also, a typo fixed."
        choice.save()
    changelist = reverse("admin:lessons_tierversion_changelist")
    page = admin_client.get(changelist + "?russian=behind").content.decode()
    # The "Russian" column's cell, not the filter's own choice of the same words.
    assert '<td class="field-russian">behind the English</td>' in page and translated.title in page
    assert (
        translated.title not in admin_client.get(changelist + "?russian=current").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            changelist,
            {"action": "translation_checked", "_selected_action": [translated.pk]},
        )
    assert not fresh(translated).translation_behind


def test_import_warns_about_a_translation_behind_its_english(
    tmp_path, translated, capsys, django_capture_on_commit_callbacks
):
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    path = folder / "distributed-systems" / "10-what-is-a-leader.zero.md"
    text = path.read_text()
    path.write_text(text.replace("## Goal\n\n", "## Goal\n\nA new first sentence. ", 1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_lessons", str(folder))
    err = capsys.readouterr().err
    assert "distributed-systems/10-what-is-a-leader.zero.ru.md: behind its English" in err


def test_structure_edits_in_english_leave_the_russian_behind_and_reorders_do_not(
    translated, django_capture_on_commit_callbacks
):
    """The review's cases: an English-only step or choice, or a new right choice, changed
    the Russian digest too and read as "the Russian was edited"; reordering steps cleared a
    "behind" it had nothing to do with."""
    from lessons.models import Choice

    steps = list(translated.steps.order_by("position"))
    with django_capture_on_commit_callbacks(execute=True):
        steps[0].position, steps[1].position = steps[1].position, steps[0].position
        steps[0].save()
        steps[1].save()
    assert not fresh(translated).translation_behind  # a reorder is no change of text

    question = Step.objects.filter(version=translated).exclude(question=None).first().question
    with django_capture_on_commit_callbacks(execute=True):
        right = question.choices.get(is_correct=True)
        other = question.choices.filter(is_correct=False).first()
        Choice.objects.filter(pk=right.pk).update(is_correct=False)
        other.is_correct = True
        other.save()
    assert fresh(translated).translation_behind  # the Russian explanations say otherwise

    with django_capture_on_commit_callbacks(execute=True):
        step = steps[0]
        step.prose_ru += " Исправлено."
        step.save()
    assert not fresh(translated).translation_behind
    with django_capture_on_commit_callbacks(execute=True):
        Step.objects.create(version=translated, position=99, heading="English only", prose="x")
    assert fresh(translated).translation_behind


def test_a_database_from_before_the_digests_gets_them_on_migrate(translated):
    from lessons.apps import _sync_translations

    TierVersion.objects.update(digest="", digest_ru="", digest_ru_from="")
    _sync_translations()
    version = fresh(translated)
    assert version.digest and version.digest_ru and version.digest_ru_from == version.digest
    assert not version.translation_behind
    assert TierVersion.objects.filter(digest="").count() == 0


def test_a_source_note_counts(translated, django_capture_on_commit_callbacks):
    """The notes of the sources are translated too: an English note rewritten leaves the
    Russian one saying the old thing."""
    source = translated.sources.exclude(note_ru="").first()
    with django_capture_on_commit_callbacks(execute=True):
        source.note = "A different reason to read it."
        source.save()
    assert fresh(translated).translation_behind
    with django_capture_on_commit_callbacks(execute=True):
        source.note_ru = "Другая причина это прочитать."
        source.save()
    assert not fresh(translated).translation_behind
    with django_capture_on_commit_callbacks(execute=True):
        source.delete()  # the Russian note goes with the English one
    assert not fresh(translated).translation_behind


def test_digests_made_the_old_way_are_remade_keeping_what_was_behind(
    translated, django_capture_on_commit_callbacks
):
    """A new digest format (source notes joined in) must not read every stored digest as "the
    Russian was edited": a translation behind stays behind, one up to date stays so, and the
    next English edit is noticed."""
    from lessons.apps import _sync_translations
    from lessons.translations import FORMAT

    other = TierVersion.objects.exclude(pk=translated.pk).exclude(title_ru="").first()
    old = "0123456789abcdef0123456789abcdef"
    TierVersion.objects.filter(pk=translated.pk).update(
        digest=old, digest_ru=old, digest_ru_from=old
    )
    TierVersion.objects.filter(pk=other.pk).update(
        digest=old, digest_ru=old, digest_ru_from="fedcba9876543210fedcba9876543210"
    )
    assert fresh(other).translation_behind and not fresh(translated).translation_behind
    _sync_translations()
    assert not TierVersion.objects.exclude(digest__startswith=FORMAT).exists()
    assert fresh(other).translation_behind
    assert not fresh(translated).translation_behind

    step = translated.steps.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        step.heading += " (revised)"
        step.save()
    assert fresh(translated).translation_behind


def test_a_commit_loads_the_changed_text_once_and_writes_digests_in_one_update(
    translated, django_capture_on_commit_callbacks
):
    """The search index and the digests are made from the same rows: one read of the tree
    (not one each), and one UPDATE for all the changed versions (not one per version)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    versions = list(TierVersion.objects.exclude(title_ru="").order_by("pk")[:3])
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for version in versions:
            version.recap += " One more English sentence."
            version.save()
    reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "lessons_choice"')]
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "lessons_tierversion"')]
    assert len(reads) == 1
    # Three saves, then one UPDATE for the three digests.
    assert len(updates) == len(versions) + 1
    assert all(fresh(version).translation_behind for version in versions)


def changed(version: TierVersion) -> list[str] | None:
    from lessons.translations import changed_parts

    return changed_parts(TierVersion.objects.with_text().get(pk=version.pk))


def test_behind_says_which_parts_of_the_english_changed(
    admin_client, translated, django_capture_on_commit_callbacks
):
    """The author audit: "behind" said the English changed, not what; the translator
    re-read the whole piece to find one edited explanation."""
    steps = list(translated.steps.order_by("position").select_related("question"))
    first, second = steps[0], steps[1]
    choices = list(second.question.choices.order_by("position"))
    with django_capture_on_commit_callbacks(execute=True):
        translated.intro += " One more English sentence."
        translated.save()
        choices[1].explanation += " Reworded."
        choices[1].save()
        right = next(c for c in choices if c.is_correct)
        other = next(c for c in choices if not c.is_correct)
        right.is_correct, other.is_correct = False, True
        right.save()
        other.save()
    assert changed(translated) == [
        "intro",
        f"step “{second.heading}”, choice 2: explanation",
        f"step “{second.heading}”: which choice is right",
    ]
    page = admin_client.get(reverse("admin:lessons_tierversion_change", args=[translated.pk]))
    assert "behind the English, which changed in: intro; step “" in page.content.decode()

    # The Russian catches up: nothing is behind; a later English edit is the only change.
    with django_capture_on_commit_callbacks(execute=True):
        version = fresh(translated)
        version.intro_ru += " Ещё одно предложение."
        version.save()
    assert not fresh(translated).translation_behind
    with django_capture_on_commit_callbacks(execute=True):
        first.heading = first.heading + " (edited)"
        first.save()
    assert changed(translated) == [f"step “{first.heading}”: heading"]

    # Marked as checked in the admin: up to date, and the next change is counted from there.
    changelist = reverse("admin:lessons_tierversion_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            changelist, {"action": "translation_checked", "_selected_action": [translated.pk]}
        )
    assert not fresh(translated).translation_behind
    with django_capture_on_commit_callbacks(execute=True):
        version = fresh(translated)
        version.goal += " Also this."
        version.save()
    assert changed(translated) == ["goal"]


def test_a_wrong_choice_added_is_not_said_to_change_which_choice_is_right(
    translated, django_capture_on_commit_callbacks
):
    """The code review: the new choice's right/wrong key was new, and read as a new key."""
    from lessons.models import Choice

    step = translated.steps.order_by("position").exclude(question=None).first()
    question = step.question
    count = question.choices.count()
    with django_capture_on_commit_callbacks(execute=True):
        Choice.objects.create(
            question=question, position=count, text="One more wrong one.", explanation="No."
        )
    said = changed(translated)
    assert said == [
        f"step “{step.heading}”, choice {count + 1}: explanation",
        f"step “{step.heading}”, choice {count + 1}: text",
    ]


def test_the_import_says_what_changed_in_a_translation_behind(
    tmp_path, translated, capsys, django_capture_on_commit_callbacks
):
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    path = folder / "distributed-systems" / "10-what-is-a-leader.zero.md"
    path.write_text(path.read_text().replace("## Goal\n\n", "## Goal\n\nA new first sentence. ", 1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_lessons", str(folder))
    assert "10-what-is-a-leader.zero.ru.md: behind its English original" in (
        err := capsys.readouterr().err
    )
    assert "(changed: goal);" in err


def test_translations_from_before_parts_were_kept_get_them_and_old_behind_says_so(
    admin_client, translated, django_capture_on_commit_callbacks
):
    from lessons import translations

    TierVersion.objects.update(digest_ru_from_parts={})  # as the migration leaves them
    translations.sync()
    assert fresh(translated).digest_ru_from_parts == translations.parts(
        TierVersion.objects.with_text().get(pk=translated.pk)
    )
    TierVersion.objects.filter(pk=translated.pk).update(digest_ru_from_parts={})
    with django_capture_on_commit_callbacks(execute=True):
        version = fresh(translated)
        version.crux += " Edited."
        version.save()
    assert changed(translated) is None
    page = admin_client.get(reverse("admin:lessons_tierversion_change", args=[translated.pk]))
    assert "which parts changed was not recorded then" in page.content.decode()


def test_saving_a_version_loaded_before_a_check_keeps_the_check(
    translated, django_capture_on_commit_callbacks
):
    """save() wrote every column back, the digests too: a version object loaded before a
    translation was marked as checked made it "behind" again when saved for anything."""
    from lessons.translations import mark_checked

    loaded = fresh(translated)
    step = translated.steps.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        step.prose += " One more English sentence."
        step.save()
    assert fresh(translated).translation_behind
    with django_capture_on_commit_callbacks(execute=True):
        mark_checked(TierVersion.objects.filter(pk=translated.pk))
    assert not fresh(translated).translation_behind
    with django_capture_on_commit_callbacks(execute=True):
        loaded.minutes += 1
        loaded.save()
    assert fresh(translated).minutes == loaded.minutes
    assert not fresh(translated).translation_behind


def test_a_choice_rewritten_in_english_is_not_given_the_old_translation_and_is_behind(
    tmp_path, translated, capsys, django_capture_on_commit_callbacks
):
    """The author's audit rewrote a wrong choice in English and left the .ru.md alone: the
    new choice's row took the old choice's Russian (the file pairs by position), the import
    said "translated", and the translation counted as up to date."""
    folder = tmp_path / "lessons"
    shutil.copytree(DEMO_CONTENT, folder)
    path = folder / "distributed-systems" / "10-what-is-a-leader.zero.md"
    old = "One email, because the mail server notices the two duplicates and drops them."
    new = "A firewall between app and database dropped the packet."
    old_ru = Choice.objects.get(question__step__version=translated, text=old).text_ru
    path.write_text(path.read_text().replace(f"] {old}\n", f"] {new}\n", 1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_lessons", str(folder))
    out, err = capsys.readouterr()
    assert "translated:" not in out
    choice = Choice.objects.get(question__step__version=translated, text=new)
    assert (choice.text_ru, choice.explanation_ru) == ("", "")
    assert behind() == [translated]
    number = list(choice.question.choices.all()).index(choice) + 1
    heading = choice.question.step.heading
    assert f"(changed: step “{heading}”, choice {number}: explanation; " in err
    assert f"step “{heading}”, choice {number}: text; a choice since removed)" in err

    # Translated in its file too: caught up.
    russian = path.with_name("10-what-is-a-leader.zero.ru.md")
    russian.write_text(russian.read_text().replace(old_ru, "Межсетевой экран отбросил пакет."))
    with django_capture_on_commit_callbacks(execute=True):
        import_paths([folder])
    assert Choice.objects.get(pk=choice.pk).text_ru == "Межсетевой экран отбросил пакет."
    assert behind() == []
