"""Each search document's words as a reader types them (lessons.search_suggest.SearchWords),
for "Did you mean …?". The index is emptied here so that the post_migrate that follows every
migrate (search_index.sync) writes the documents again, each with its words: sync looks only
for versions with no document, and would otherwise leave the new table empty."""

import django.db.models.deletion
from django.db import migrations, models


def empty_the_index(apps, schema_editor):
    schema_editor.execute("DELETE FROM lessons_search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0018_search_rendered_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWords",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("language", models.CharField(max_length=8)),
                ("words", models.TextField()),
                (
                    "version",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="lessons.tierversion",
                    ),
                ),
            ],
            options={
                "db_table": "lessons_search_words",
                "default_permissions": (),
            },
        ),
        # Backwards the table goes, and the documents written meanwhile are as before.
        migrations.RunPython(empty_the_index, migrations.RunPython.noop),
    ]
