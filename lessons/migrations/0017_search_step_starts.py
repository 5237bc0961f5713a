"""Each search row keeps where each step's text starts in its snippet text (`steps`), so
that a hit links to the step it was found in. The index is emptied here; the post_migrate
that follows every migrate (search_index.sync) writes it again from the content, with them.

On PostgreSQL the column has a database default: the previous release's code, still running
during a rolling deploy, writes rows without it, which link to the top of the page."""

from django.db import migrations, models

FTS5_COLUMNS = """
    version_id UNINDEXED,
    language UNINDEXED,
    title,
    crux,
    body,
    terms,
    text UNINDEXED,{steps}
    document UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
"""
SQLITE = [
    "DROP TABLE lessons_search_document",
    "CREATE VIRTUAL TABLE lessons_search_document USING fts5("
    + FTS5_COLUMNS.format(steps="\n    steps UNINDEXED,")
    + ")",
]
SQLITE_BACK = [
    "DROP TABLE lessons_search_document",
    "CREATE VIRTUAL TABLE lessons_search_document USING fts5(" + FTS5_COLUMNS.format(steps="") + ")",
]
POSTGRESQL = [
    "DELETE FROM lessons_search_document",
    "ALTER TABLE lessons_search_document ADD COLUMN steps text NOT NULL DEFAULT ''",
]
POSTGRESQL_BACK = [
    "DELETE FROM lessons_search_document",
    "ALTER TABLE lessons_search_document DROP COLUMN steps",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in statements.get(vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0016_lesson_file_slugs"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="steps",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_BACK, "postgresql": POSTGRESQL_BACK}),
        ),
    ]
