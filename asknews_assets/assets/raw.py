"""The raw news layer: validated, normalised, deduplicated articles per country x language."""


from collections import Counter
from datetime import datetime, timezone

from dagster import AssetExecutionContext, AssetKey, Backoff, Config, MaterializeResult, MetadataValue, RetryPolicy, asset

from asknews_assets.ingest.articles import IngestLimits, article_rows, ingest_partition, reject_rows
from asknews_assets.metadata import column_schema, counts_md, table_preview
from asknews_assets.partitions import article_backfill_policy, article_partitions, partitions_of
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
# Metadata key: {partition: source fingerprint read}, compared by the discovery sensor.
FINGERPRINTS = "source_fingerprints"


class RawArticlesConfig(Config):
    max_text_chars: int = 50_000
    max_record_bytes: int = 1_000_000


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="ingestion",
    kinds={"duckdb", "python"},
    tags={"stage": "raw"},
    code_version="2",
    # The source may be a network API: transient failures get retried with backoff.
    retry_policy=RetryPolicy(max_retries=3, delay=10, backoff=Backoff.EXPONENTIAL),
)
def raw_articles(
    context: AssetExecutionContext, config: RawArticlesConfig, source: NewsSource, warehouse: Warehouse
) -> MaterializeResult:
    """News articles of each country x language partition, validated, normalised and deduplicated.

    Unusable records go to `raw_article_rejects` with their source location and a reason, and the
    partition's read/accepted/rejected counts to `raw_ingest_stats`, so accepted + rejected = read.
    Each partition records the source fingerprint it read, which the discovery sensor compares.
    """
    limits = IngestLimits(max_text_chars=config.max_text_chars, max_record_bytes=config.max_record_bytes)
    counts, fingerprints, reasons, preview = [], {}, Counter(), []
    for partition in partitions_of(context):
        # Taken before reading, so a file changed mid-read gets another run from the discovery sensor.
        fingerprints[str(partition)] = source.fingerprint(partition)
        result = ingest_partition(source.read_partition(partition), partition, limits)
        keys = {"country": partition.country, "language": partition.language}
        stats = {
            **keys,
            "source_backend": source.backend,
            "read": result.read,
            "accepted": len(result.accepted),
            "rejected": len(result.rejected),
            "run_id": context.run.run_id,
            "materialized_at": datetime.now(timezone.utc),
        }
        with warehouse.get_connection() as conn:
            replace_partition(conn, "raw_articles", RAW_ARTICLES_DDL, partition, article_rows(result.accepted))
            rejects = [{**keys, **r} for r in reject_rows(result.rejected)]
            replace_partition(conn, "raw_article_rejects", REJECTS_DDL, partition, rejects)
            replace_partition(conn, "raw_ingest_stats", INGEST_STATS_DDL, partition, [stats])
        counts.append({"partition": str(partition), **{k: stats[k] for k in ("read", "accepted", "rejected")}})
        reasons.update(result.rejects_by_reason())
        preview += [
            {"partition": str(partition), "article_id": a.article_id, "pub_date": str(a.pub_date.date()),
             "source": a.source_id, "title": a.title}
            for a in result.accepted
        ]  # fmt: skip

    totals = {k: sum(c[k] for c in counts) for k in ("read", "accepted", "rejected")}
    return MaterializeResult(
        metadata={
            "dagster/row_count": totals["accepted"],
            "dagster/column_schema": column_schema(RAW_ARTICLES_DDL),
            "dagster/table_name": "raw_articles",
            **totals,
            "partitions": table_preview(counts, max_rows=len(counts)),
            "rejects_by_reason": counts_md(sorted(reasons.items()), key="reason"),
            "source_backend": source.backend,
            FINGERPRINTS: MetadataValue.json(fingerprints),
            "warehouse": MetadataValue.path(str(warehouse.database)),
            "preview": table_preview(preview),
        }
    )
