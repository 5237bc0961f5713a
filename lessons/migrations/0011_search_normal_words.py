"""The search index holds each word's normal form (ё as е, stemmed) and, beside it, the text
shown in snippets. The index is emptied here; the post_migrate that follows every migrate
(search_index.sync) writes it again from the content, in its new form."""

from django.db import migrations, models

SQLITE = [
    "DROP TABLE lessons_search_document",
    """
    CREATE VIRTUAL TABLE lessons_search_document USING fts5(
        version_id UNINDEXED,
        language UNINDEXED,
        title,
        crux,
        body,
        terms,
        text UNINDEXED,
        document UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '2 3'
    )
    """,
]
SQLITE_BACK = [
    "DROP TABLE lessons_search_document",
    """
    CREATE VIRTUAL TABLE lessons_search_document USING fts5(
        version_id UNINDEXED,
        language UNINDEXED,
        title,
        crux,
        body,
        terms,
        document UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '2 3'
    )
    """,
]
POSTGRESQL = [
    "DELETE FROM lessons_search_document",
    "ALTER TABLE lessons_search_document ADD COLUMN text text NOT NULL DEFAULT ''",
]
POSTGRESQL_BACK = [
    "DELETE FROM lessons_search_document",
    "ALTER TABLE lessons_search_document DROP COLUMN text",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in statements.get(vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0010_piece_aliases"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="text",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_BACK, "postgresql": POSTGRESQL_BACK}),
        ),
    ]
