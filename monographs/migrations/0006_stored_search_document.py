"""PostgreSQL: store the weighted full-text document instead of recomputing it per query.

0004 indexed the expression ``setweight(to_tsvector(names), 'A') || setweight(to_tsvector(
text), 'C')``. The index finds the matching rows, but ranking them (``ts_rank``) evaluates
the expression again for every match: with 10,000 monographs a word found in all of them
("cravings") took 14 s and a word in 100 of them 155 ms. A stored generated column is
computed once per write; ranking reads it (0.27 s and 7 ms; docs/performance.md).

The column is not a model field (models.py stays database-neutral): PostgreSQL fills it on
every insert and update, and ``search._search_postgresql`` reads it by name. The 0004
expression index is replaced by one of the same name on the column: nothing queries that
expression any more. Nothing happens on
SQLite. Adding the column rewrites the table (about 45 s for 10,000 monographs).
"""

from django.db import migrations

DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE(search_names, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(search_text, '')), 'C'))"
)

FORWARD = [
    "ALTER TABLE monographs_monograph ADD COLUMN IF NOT EXISTS search_document tsvector "
    f"GENERATED ALWAYS AS ({DOCUMENT}) STORED",
    # Same name, now on the column.
    "DROP INDEX IF EXISTS monograph_search_document",
    "CREATE INDEX monograph_search_document ON monographs_monograph USING gin (search_document)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS monograph_search_document",
    "ALTER TABLE monographs_monograph DROP COLUMN IF EXISTS search_document",
    f"CREATE INDEX monograph_search_document ON monographs_monograph USING gin ({DOCUMENT})",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("monographs", "0005_revision_structured_data")]

    operations = [migrations.RunPython(forward, backward)]
