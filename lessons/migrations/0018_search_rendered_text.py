"""The search index reads the Markdown fields as a reader sees them: the text of the HTML
stored on save, sanitised (lessons.search_body). Rows written before hold the Markdown's
text, raw HTML the sanitiser removes included, which search would still find and show. The
index is emptied here; the post_migrate that follows every migrate (search_index.sync)
writes it again from the content, in its new form. No column changes: the previous
release's code, during a rolling deploy, reads and writes these rows as before."""

from django.db import migrations


def empty_the_index(apps, schema_editor):
    # Both databases: a plain DELETE (on SQLite, of the FTS5 table's rows and their index).
    schema_editor.execute("DELETE FROM lessons_search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0017_search_step_starts"),
    ]

    operations = [
        # Backwards, the rows in the new form are what the code before would have written
        # but for the removed HTML: nothing to undo.
        migrations.RunPython(empty_the_index, migrations.RunPython.noop),
    ]
