"""The full-text search index (lessons/search_index.py): a table each database searches its way.

SQLite gets an FTS5 virtual table, PostgreSQL a table partitioned by language with a weighted
tsvector under a GIN index. The model is unmanaged, so Django creates nothing itself; rows are
written by the first post_migrate (search_index.sync), which indexes any content already there.
"""

from django.db import migrations, models

SQLITE = """
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
"""

POSTGRESQL = [
    # One partition per language: a search reads only its language's rows (the planner
    # prunes the others), where a plain table would match and rank every row of every one.
    """
    CREATE TABLE lessons_search_document (
        rowid bigint NOT NULL,
        version_id bigint NOT NULL,
        language varchar(8) NOT NULL,
        title text NOT NULL,
        crux text NOT NULL,
        body text NOT NULL,
        terms text NOT NULL,
        document tsvector NOT NULL,
        PRIMARY KEY (rowid, language)
    ) PARTITION BY LIST (language)
    """,
    "CREATE TABLE lessons_search_document_en PARTITION OF lessons_search_document"
    " FOR VALUES IN ('en')",
    "CREATE TABLE lessons_search_document_ru PARTITION OF lessons_search_document"
    " FOR VALUES IN ('ru')",
    "CREATE TABLE lessons_search_document_other PARTITION OF lessons_search_document DEFAULT",
    # Ranking reads every matching vector: kept in the row (compressed), not in the TOAST
    # table, that read is a decompression instead of an index lookup and two more reads.
    "ALTER TABLE lessons_search_document ALTER COLUMN document SET STORAGE MAIN",
    "CREATE INDEX lessons_search_document_gin ON lessons_search_document USING gin (document)",
]


def create_table(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"no search index for {vendor}: SQLite or PostgreSQL only")


def drop_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS lessons_search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0004_russian_translations"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "id",
                    models.BigIntegerField(db_column="rowid", primary_key=True, serialize=False),
                ),
                ("language", models.CharField(max_length=8)),
                ("title", models.TextField()),
                ("crux", models.TextField()),
                ("body", models.TextField()),
                ("terms", models.TextField()),
                ("document", models.TextField(editable=False)),
            ],
            options={
                "db_table": "lessons_search_document",
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.RunPython(create_table, drop_table),
    ]
