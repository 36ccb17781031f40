"""Short Chinese queries through an index, PostgreSQL only.

A trigram index cannot serve a query of one or two characters (量子, 医疗): it has no trigram
to look up, so such a search read every row. ``registry_cjk_grams(search_text)`` is the set
of Chinese characters and pairs of adjacent ones in a record's search text; a GIN index over
it answers "which records contain 量子" directly (registry/search.py). The function is
IMMUTABLE (its result depends on its argument alone), which an index expression requires.
As in 0003, the indexes are not in ``Meta.indexes``: SQLite has no GIN.
"""

from importlib import import_module

from django.db import migrations

# The tables whose search_text has a trigram index (0003) get a grams index too.
TABLES = import_module("registry.migrations.0003_search_trigram_indexes").TABLES

FUNCTION = """
CREATE OR REPLACE FUNCTION registry_cjk_grams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    grams text[] := '{}';
    c text;
    code integer;
    previous text := NULL;
BEGIN
    -- Chinese characters: U+3400-U+9FFF and U+F900-U+FAFF, as registry/search.py says.
    FOREACH c IN ARRAY regexp_split_to_array(t, '') LOOP
        code := ascii(c);
        IF code BETWEEN 13312 AND 40959 OR code BETWEEN 63744 AND 64255 THEN
            grams := grams || c;
            IF previous IS NOT NULL THEN
                grams := grams || (previous || c);
            END IF;
            previous := c;
        ELSE
            previous := NULL;
        END IF;
    END LOOP;
    RETURN grams;
END
$$
"""


CREATE = [
    FUNCTION,
    *(
        f"CREATE INDEX IF NOT EXISTS {table}_search_grams "
        f"ON {table} USING gin (registry_cjk_grams(search_text))"
        for table in TABLES
    ),
]
DROP = [
    *(f"DROP INDEX IF EXISTS {table}_search_grams" for table in TABLES),
    "DROP FUNCTION IF EXISTS registry_cjk_grams(text)",
]


def on_postgresql(statements):
    """A RunPython step that runs ``statements`` on PostgreSQL and nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_list_indexes")]
    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP), elidable=False)]
