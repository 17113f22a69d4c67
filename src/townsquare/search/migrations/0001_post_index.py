"""The full-text index of forum posts: an FTS5 table on SQLite, a tsvector table with a GIN
index on PostgreSQL. Each is created only on its own database; on the other this migration
does nothing. The index holds analysed terms only (docs/search.md)."""

from django.db import migrations

SQLITE = [
    # rowid = post id. Terms arrive analysed and space-separated; the ascii tokenizer only
    # splits on spaces and ASCII punctuation and folds ASCII case, which leaves our terms
    # exactly as they are (no diacritics removed, any script kept).
    "CREATE VIRTUAL TABLE search_post_fts USING fts5(title, body, tokenize = 'ascii')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS search_post_fts"]

POSTGRESQL = [
    # vector: our terms as a tsvector literal (title at weight A, body at D), never parsed
    # or stemmed by PostgreSQL. No foreign key: the index is rebuilt from the posts and
    # queries join the live forum tables; rows of posts that are gone are removed by the
    # indexing task and by `townsquare reindex`.
    "CREATE TABLE search_post_vector (post_id bigint PRIMARY KEY, vector tsvector NOT NULL)",
    "CREATE INDEX search_post_vector_gin ON search_post_vector USING gin (vector)",
]
POSTGRESQL_REVERSE = ["DROP TABLE IF EXISTS search_post_vector"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("forum", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
