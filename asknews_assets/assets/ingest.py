"""The raw news layer: validated, normalised, deduplicated articles per country x language."""


import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pandas as pd

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Backoff,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from asknews_assets.ingest.articles import (
    IngestLimits,
    RejectReason,
    article_rows,
    ingest_partition,
    reject_rows,
    release_foreign_ids,
)
from asknews_assets.ingest.artefacts import ArtefactSettings
from asknews_assets.metadata import column_schema, counts_md, table_preview
from asknews_assets.partitions import ArticlePartition, article_backfill_policy, article_partitions, partitions_of
from asknews_assets.redaction import redact_secrets
from asknews_assets.resources.ingest import NewsSource, is_transient_source_error
from asknews_assets.warehouse.resource import Warehouse, WarehouseLockTimeout
from asknews_assets.warehouse.storage import replace_partition, table_exists

RAW_ARTICLES_DDL = """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL,
    article_url VARCHAR, canonical_url VARCHAR, source_id VARCHAR, pub_date TIMESTAMPTZ,
    title VARCHAR, text VARCHAR, eng_title VARCHAR, eng_text VARCHAR, classification VARCHAR,
    content_hash VARCHAR, source_location VARCHAR, license VARCHAR, artefacts VARCHAR[], truncated BOOLEAN
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
    # Feed artefacts are recorded per article either way; these say whether they are also removed.
    clean_truncation_markers: bool = True
    clean_photo_credits: bool = True
    clean_chopped_start: bool = True

    def artefact_settings(self) -> ArtefactSettings:
        return ArtefactSettings(self.clean_truncation_markers, self.clean_photo_credits, self.clean_chopped_start)


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="ingest",
    kinds={"duckdb", "python"},
    tags={"stage": "ingest"},
    code_version="2",
    # The source may be a network API: transient failures get retried with backoff, and only those
    # (`without_retry_unless_transient`): bad records are rejects, and any other error fails the same way again.
    retry_policy=RetryPolicy(max_retries=3, delay=10, backoff=Backoff.EXPONENTIAL),
)
def raw_articles(
    context: AssetExecutionContext, config: RawArticlesConfig, source: NewsSource, warehouse: Warehouse
) -> MaterializeResult:
    """News articles of each country x language partition, validated, normalised and deduplicated.

    Unusable records go to `raw_article_rejects` with their source location and a reason, and the
    partition's read/accepted/rejected counts to `raw_ingest_stats`, so accepted + rejected = read.
    Feed artefacts (truncation markers, photo credits, a chopped first letter) are cleaned as the
    config says and recorded per article (`artefacts`, `truncated`), with each article's `license`.
    Each partition records the source fingerprint it read, which the discovery sensor compares.
    """
    limits = IngestLimits(max_text_chars=config.max_text_chars, max_record_bytes=config.max_record_bytes)
    counts, fingerprints, reasons, preview = [], {}, Counter(), []
    artefacts, licenses, truncated = Counter(), Counter(), 0
    for partition in partitions_of(context):
        with without_retry_unless_transient(f"{source.backend} source, partition {partition}"):
            # Taken before reading, so a file changed mid-read gets another run from the discovery sensor.
            fingerprints[str(partition)] = source.fingerprint(partition)
            result = ingest_partition(
                source.read_partition(partition, limits.max_record_bytes),
                partition,
                limits,
                artefact_settings=config.artefact_settings(),
                default_license=source.default_license,
            )
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
        with without_retry_unless_transient(f"warehouse {warehouse.database}"), warehouse.get_connection() as conn:
            # Under the warehouse lock, so two partitions written at once cannot both claim an id.
            result = release_foreign_ids(result, article_id_owners(conn, partition, [a.article_id for a in result.accepted]))
            stats.update(accepted=len(result.accepted), rejected=len(result.rejected))
            replace_partition(conn, "raw_articles", RAW_ARTICLES_DDL, partition, article_rows(result.accepted))
            rejects = [{**keys, **r} for r in reject_rows(result.rejected)]
            replace_partition(conn, "raw_article_rejects", REJECTS_DDL, partition, rejects)
            replace_partition(conn, "raw_ingest_stats", INGEST_STATS_DDL, partition, [stats])
        if result.rejects_by_reason().get(RejectReason.ID_IN_OTHER_PARTITION.value):
            context.log.warning(f"{partition}: article ids held by other partitions rejected: {result.rejects_by_reason()}")
        counts.append({"partition": str(partition), **{k: stats[k] for k in ("read", "accepted", "rejected")}})
        reasons.update(result.rejects_by_reason())
        artefacts.update(name for a in result.accepted for name in a.artefacts)
        licenses.update(a.license or "unknown" for a in result.accepted)
        truncated += sum(a.truncated for a in result.accepted)
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
            "truncated": truncated,
            "artefacts": counts_md(sorted(artefacts.items()), key="artefact"),
            "licenses": counts_md(sorted(licenses.items()), key="license"),
            "source_backend": source.backend,
            FINGERPRINTS: MetadataValue.json(fingerprints),
            "warehouse": MetadataValue.path(str(warehouse.database)),
            "preview": table_preview(preview),
        }
    )


@contextmanager
def without_retry_unless_transient(what: str) -> Iterator[None]:
    """Let transient errors (network, 429, 5xx, the warehouse lock) through to the retry policy; turn
    any other into a Failure that is not retried, with its cause first and every secret redacted."""
    try:
        yield
        return
    except Failure:
        raise
    except Exception as error:  # noqa: BLE001 (classified right below)
        if is_transient_source_error(error) or isinstance(error, WarehouseLockTimeout):
            raise
        message = redact_secrets(f"{type(error).__name__}: {error} ({what})")
        trace = redact_secrets("".join(traceback.format_exception(error)))
    # Not chained: the original (which may quote a secret) would be serialised with it.
    raise Failure(message, metadata={"traceback": MetadataValue.text(trace)}, allow_retries=False) from None


def article_id_owners(conn, partition: ArticlePartition, article_ids: list[str]) -> dict[str, str]:
    """Which of `article_ids` other partitions of raw_articles already hold, and where."""
    if not article_ids or not table_exists(conn, "raw_articles"):
        return {}
    conn.register("_ids", pd.DataFrame({"article_id": article_ids}, dtype="object"))
    try:
        rows = conn.execute(
            """
            SELECT r.article_id, min(r.language || '/' || r.country) FROM raw_articles r JOIN _ids USING (article_id)
            WHERE NOT (r.country = ? AND r.language = ?) GROUP BY r.article_id
            """,
            [partition.country, partition.language],
        ).fetchall()
    finally:
        conn.unregister("_ids")
    return dict(rows)


def cross_partition_id_collisions(conn, limit: int = 20) -> list[tuple[str, str]]:
    """Article ids that more than one partition of raw_articles holds, with the partitions (at most `limit`)."""
    if not table_exists(conn, "raw_articles"):
        return []
    return conn.execute(
        """
        SELECT article_id, string_agg(DISTINCT language || '/' || country, ', ' ORDER BY language || '/' || country)
        FROM raw_articles GROUP BY article_id HAVING count(DISTINCT (country, language)) > 1
        ORDER BY article_id LIMIT ?
        """,
        [limit],
    ).fetchall()
