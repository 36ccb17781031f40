"""Importers: outside data (ROR JSON, tabular files) upserted into the registry.

Every importer is a set of plain functions that save through the models' normal save path
(version, history, derived fields), never ``QuerySet.update()`` or ``bulk_*``, is idempotent
(importing the same data twice changes nothing the second time) and returns a report of what it
did, with an error row per record it could not import.
"""
