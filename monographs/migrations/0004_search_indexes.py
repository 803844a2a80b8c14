"""Search indexes on PostgreSQL: a GIN trigram index on the names (typo-tolerant matching
and icontains) and a GIN index on the weighted full-text document that search.py builds.

The document expression must stay identical to ``search._search_postgresql``'s
SearchVector (config "english", names weight A, text weight C) or the planner won't use it.
Nothing happens on SQLite. Hand-written SQL, no app imports (migrations never import app code).
"""

from django.db import migrations

DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE(search_names, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(search_text, '')), 'C'))"
)

CREATE = [
    "CREATE INDEX IF NOT EXISTS monograph_search_names_trgm "
    "ON monographs_monograph USING gin (search_names gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS monograph_search_document "
    f"ON monographs_monograph USING gin ({DOCUMENT})",
]
DROP = [
    "DROP INDEX IF EXISTS monograph_search_document",
    "DROP INDEX IF EXISTS monograph_search_names_trgm",
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("monographs", "0003_pg_trgm_extension")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
