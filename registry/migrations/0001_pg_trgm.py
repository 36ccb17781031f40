"""pg_trgm first, alone (RECIPES.md): the trigram indexes on search_text need it.
On SQLite this operation does nothing."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [TrigramExtension()]
