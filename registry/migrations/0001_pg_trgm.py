"""pg_trgm first, alone: the trigram indexes on search_text need it.
On SQLite this migration does nothing, in either direction."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class TrigramExtensionOnPostgres(TrigramExtension):
    # Django checks the vendor going forwards but not backwards; unapplying on SQLite would
    # query pg_extension and fail.
    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [TrigramExtensionOnPostgres()]
