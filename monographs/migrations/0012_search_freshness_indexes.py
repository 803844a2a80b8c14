"""Search at 10,000 monographs: two small indexes, and the full-text index without a
pending list.

Indexes on ``last_published_at`` and ``withdrawn_at`` for search's name index:

``name_index.freshness_token`` reads the newest of each on every search to notice a
publication, withdrawal or restore that the cache's generation has not shown yet; with these
indexes that is two index lookups instead of a scan of every monograph (8 ms on SQLite with
1,300 monographs, 10-20 ms on PostgreSQL with 10,000). Plain SQL both databases accept; the
models do not declare them, as with the search indexes of 0004.

PostgreSQL only: the GIN index on the stored document (0006) with ``fastupdate`` off. With
it on (the default), new entries wait in a *pending list* that every search scans in full
until a vacuum merges it: after a bulk load of 10,000 monographs a search for a word found
nowhere took 26 ms in the index instead of 0.05 ms, and the planner, seeing that cost,
scanned the table instead (220 ms). Publishing is rare; each one now updates the index
directly. The pending list left by earlier writes is merged here.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS monograph_last_published_idx "
    "ON monographs_monograph (last_published_at)",
    "CREATE INDEX IF NOT EXISTS monograph_withdrawn_idx ON monographs_monograph (withdrawn_at)",
]
DROP = [
    "DROP INDEX IF EXISTS monograph_withdrawn_idx",
    "DROP INDEX IF EXISTS monograph_last_published_idx",
]




def gin_without_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX monograph_search_document SET (fastupdate = off)")
        schema_editor.execute("SELECT gin_clean_pending_list('monograph_search_document')")


def gin_with_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX monograph_search_document RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("monographs", "0011_publication_parts")]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        migrations.RunPython(gin_without_pending_list, gin_with_pending_list),
    ]
