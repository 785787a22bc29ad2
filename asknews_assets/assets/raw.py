"""The raw news layer: validated, normalised, deduplicated articles per country x language."""


from datetime import datetime, timezone

from dagster import AssetExecutionContext, AssetKey, Backoff, Config, MaterializeResult, MetadataValue, RetryPolicy, asset

from asknews_assets.ingest.articles import IngestLimits, article_rows, ingest_partition, reject_rows
from asknews_assets.metadata import counts_md, md
from asknews_assets.partitions import article_partitions, partition_of
from asknews_assets.resources.news_source import NewsSource
from asknews_assets.resources.warehouse import Warehouse
from asknews_assets.storage import replace_partition

RAW_ARTICLES_DDL = """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL,
    article_url VARCHAR, canonical_url VARCHAR, source_id VARCHAR, pub_date TIMESTAMPTZ,
    title VARCHAR, text VARCHAR, eng_title VARCHAR, eng_text VARCHAR, classification VARCHAR,
    content_hash VARCHAR, source_location VARCHAR
"""
REJECTS_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, source_location VARCHAR,
    reason VARCHAR, detail VARCHAR, excerpt VARCHAR
"""
INGEST_STATS_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, source_backend VARCHAR,
    read BIGINT, accepted BIGINT, rejected BIGINT, run_id VARCHAR, materialized_at TIMESTAMPTZ
"""

RAW_ARTICLES = AssetKey("raw_articles")


class RawArticlesConfig(Config):
    max_text_chars: int = 50_000
    max_record_bytes: int = 1_000_000


@asset(
    partitions_def=article_partitions,
    group_name="ingestion",
    kinds={"duckdb", "python"},
    tags={"stage": "raw"},
    # The source may be a network API: transient failures get retried with backoff.
    retry_policy=RetryPolicy(max_retries=3, delay=10, backoff=Backoff.EXPONENTIAL),
)
def raw_articles(
    context: AssetExecutionContext, config: RawArticlesConfig, source: NewsSource, warehouse: Warehouse
) -> MaterializeResult:
    """News articles of one country x language partition, validated, normalised and deduplicated.

    Unusable records go to `raw_article_rejects` with their source location and a reason, and the
    partition's read/accepted/rejected counts to `raw_ingest_stats`, so accepted + rejected = read.
    """
    partition = partition_of(context)
    # Taken before reading, so a file changed mid-read gets another run from the discovery sensor.
    fingerprint = source.fingerprint(partition)
    limits = IngestLimits(max_text_chars=config.max_text_chars, max_record_bytes=config.max_record_bytes)
    result = ingest_partition(source.read_partition(partition), partition, limits)
    keys = {"country": partition.country, "language": partition.language}
    stats = [
        {
            **keys,
            "source_backend": source.backend,
            "read": result.read,
            "accepted": len(result.accepted),
            "rejected": len(result.rejected),
            "run_id": context.run.run_id,
            "materialized_at": datetime.now(timezone.utc),
        }
    ]
    with warehouse.get_connection() as conn:
        replace_partition(conn, "raw_articles", RAW_ARTICLES_DDL, partition, article_rows(result.accepted))
        replace_partition(conn, "raw_article_rejects", REJECTS_DDL, partition, [{**keys, **r} for r in reject_rows(result.rejected)])
        replace_partition(conn, "raw_ingest_stats", INGEST_STATS_DDL, partition, stats)

    preview = [
        {"article_id": a.article_id, "pub_date": a.pub_date.date(), "source": a.source_id, "title": a.title}
        for a in result.accepted
    ]
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(result.accepted),
            "read": result.read,
            "accepted": len(result.accepted),
            "rejected": len(result.rejected),
            "rejects_by_reason": counts_md(result.rejects_by_reason(), key="reason"),
            "source_backend": source.backend,
            "source_fingerprint": fingerprint,
            "table": "raw_articles",
            "warehouse": MetadataValue.path(str(warehouse.database)),
            "preview": md(preview),
        }
    )
