"""Trigram GIN indexes on search_text, PostgreSQL only.

They serve ``search_text LIKE '%word%'`` (``CuratedQuerySet.search``), which otherwise scans the
whole table. They are not in ``Meta.indexes`` because SQLite has no GIN: a model-level index
would be created on every database.
"""

from django.db import migrations

TABLES = (
    "registry_organisation",
    "registry_facility",
    "registry_project",
    "registry_output",
    "registry_factorflow",
    "registry_policyinstrument",
    "registry_fundingscheme",
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_trgm "
            f"ON {table} USING gin (search_text gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_core_models")]
    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
