"""Checks of the raw layer: every record accounted for, no duplicate rows."""


from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from asknews_assets.assets.raw import RAW_ARTICLES, cross_partition_id_collisions
from asknews_assets.resources.warehouse import Warehouse
from asknews_assets.storage import table_exists


@asset_check(asset=RAW_ARTICLES, blocking=True, description="accepted + rejected = read, and the table holds what was accepted")
def raw_articles_accounted(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "raw_ingest_stats"):
            return AssetCheckResult(passed=False, metadata={"error": "raw_ingest_stats does not exist"})
        broken = conn.execute(
            """
            SELECT s.country, s.language, s.read, s.accepted, s.rejected,
                   (SELECT count(*) FROM raw_articles a WHERE a.country = s.country AND a.language = s.language) AS stored,
                   (SELECT count(*) FROM raw_article_rejects r WHERE r.country = s.country AND r.language = s.language) AS stored_rejects
            FROM raw_ingest_stats s
            WHERE s.read != s.accepted + s.rejected OR stored != s.accepted OR stored_rejects != s.rejected
            """
        ).df()
        partitions = conn.execute("SELECT count(*) FROM raw_ingest_stats").fetchone()[0]
    return AssetCheckResult(
        passed=broken.empty,
        metadata={"partitions_checked": partitions, "partitions_broken": len(broken), "broken": broken.head(20).to_string()},
    )


@asset_check(asset=RAW_ARTICLES, blocking=True, description="no duplicate id, canonical URL or text within a partition")
def raw_articles_unique(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "raw_articles"):
            return AssetCheckResult(passed=False, metadata={"error": "raw_articles does not exist"})
        counts = {
            column: conn.execute(
                f"SELECT count(*) FROM (SELECT country, language, {column} FROM raw_articles"
                f" GROUP BY ALL HAVING count(*) > 1)"
            ).fetchone()[0]
            for column in ("article_id", "canonical_url", "content_hash")
        }
    return AssetCheckResult(
        passed=not any(counts.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={f"duplicate_{column}": n for column, n in counts.items()},
    )


@asset_check(
    asset=RAW_ARTICLES,
    blocking=True,
    description="an article id names one article: no id in two partitions (the dataset-wide assets key by it)",
)
def raw_article_ids_unique_across_partitions(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        collisions = cross_partition_id_collisions(conn)
    return AssetCheckResult(
        passed=not collisions,
        metadata={"colliding_ids": len(collisions), "examples": "\n".join(f"{i}: {where}" for i, where in collisions)},
    )
