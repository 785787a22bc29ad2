"""Checks of the raw layer: every record accounted for, no duplicate rows.

Both check the partitions the run materialises only: a partition run does not re-read the whole table.
"""


from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from asknews_assets.checks import check_each_partition
from asknews_assets.partitions import ArticlePartition, article_partitions
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.readers import cross_partition_id_collisions
from asknews_assets.warehouse.resource import Warehouse


@asset_check(
    asset=tables.RAW_ARTICLES.key,
    partitions_def=article_partitions,
    blocking=True,
    description="accepted + rejected = read, and the partition holds what was accepted",
)
def raw_articles_accounted(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, partition_accounting)


def partition_accounting(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    """The raw_articles_accounted result for one partition."""
    with warehouse.get_connection() as conn:
        if not tables.RAW_INGEST_STATS.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.RAW_INGEST_STATS} does not exist"})
        counts = conn.execute(
            f"""
            SELECT s.country, s.language, s.read, s.accepted, s.rejected,
                   (SELECT count(*) FROM {tables.RAW_ARTICLES} a WHERE a.country = s.country AND a.language = s.language) AS stored,
                   (SELECT count(*) FROM {tables.RAW_ARTICLE_REJECTS} r WHERE r.country = s.country AND r.language = s.language) AS stored_rejects
            FROM {tables.RAW_INGEST_STATS} s
            WHERE s.country = $country AND s.language = $language
            """,
            {"country": partition.country, "language": partition.language},
        ).df()
    if counts.empty:
        return AssetCheckResult(passed=False, metadata={"error": f"{tables.RAW_INGEST_STATS} holds no row for {partition}"})
    row = {k: int(v) for k, v in counts.iloc[0].items() if k not in ("country", "language")}
    passed = row["read"] == row["accepted"] + row["rejected"] and (row["stored"], row["stored_rejects"]) == (
        row["accepted"], row["rejected"]
    )
    return AssetCheckResult(passed=passed, metadata={"partition": str(partition), **row})


@asset_check(
    asset=tables.RAW_ARTICLES.key,
    partitions_def=article_partitions,
    blocking=True,
    description="no duplicate id, canonical URL or text within the partition",
)
def raw_articles_unique(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, partition_uniqueness)


def partition_uniqueness(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    """The raw_articles_unique result for one partition."""
    with warehouse.get_connection() as conn:
        if not tables.RAW_ARTICLES.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.RAW_ARTICLES} does not exist"})
        counts = {
            column: conn.execute(
                f"SELECT count(*) FROM (SELECT {column} FROM {tables.RAW_ARTICLES} WHERE country = ? AND language = ?"
                f" GROUP BY ALL HAVING count(*) > 1)",
                [partition.country, partition.language],
            ).fetchone()[0]
            for column in ("article_id", "canonical_url", "content_hash")
        }
    return AssetCheckResult(
        passed=not any(counts.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={"partition": str(partition), **{f"duplicate_{column}": n for column, n in counts.items()}},
    )


@asset_check(
    asset=tables.RAW_ARTICLES.key,
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
