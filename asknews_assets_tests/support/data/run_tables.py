"""What an ingest run leaves in the warehouse, compared between runs of the same input."""

from asknews_assets.warehouse import tables

RAW_TABLES = tuple(t.name for t in (tables.RAW_ARTICLES, tables.RAW_ARTICLE_REJECTS, tables.RAW_INGEST_STATS))
PER_RUN_COLUMNS = ("run_id", "materialized_at")  # differ between two runs that wrote the same rows
