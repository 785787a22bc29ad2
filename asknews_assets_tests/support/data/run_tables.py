"""What an ingest run leaves in the warehouse, compared between runs of the same input."""

RAW_TABLES = ("raw_articles", "raw_article_rejects", "raw_ingest_stats")
PER_RUN_COLUMNS = ("run_id", "materialized_at")  # differ between two runs that wrote the same rows
