"""Enable pg_trgm for typo-tolerant search. Does nothing on SQLite."""

from django.db import migrations


def create_extension(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def keep_extension(apps, schema_editor):
    # Other databases objects may use pg_trgm; unapplying leaves the extension in place.
    pass


class Migration(migrations.Migration):
    dependencies = [("monographs", "0002_editors_and_moderators_groups")]

    operations = [migrations.RunPython(create_extension, keep_extension)]
