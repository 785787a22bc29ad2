"""Checks of the summaries stage: summaries non-empty, and every translated article accounted for.

Each checks the partitions the run materialises only.
"""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from asknews_assets.checks import check_each_partition, missing_tables
from asknews_assets.metadata import md
from asknews_assets.partitions import ArticlePartition, article_partitions
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse

STORED = tables.Inputs(tables.ARTICLE_SUMMARIES)
ACCOUNTED = tables.Inputs(
    tables.TRANSLATED_ARTICLES, tables.ARTICLE_SUMMARIES, tables.ARTICLE_SUMMARY_FAILURES, tables.ARTICLE_SUMMARY_STATS
)


@asset_check(
    asset=tables.ARTICLE_SUMMARIES.key,
    partitions_def=article_partitions,
    blocking=True,
    description="no stored summary is empty",
)
def article_summaries_not_empty(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, summaries_not_empty)


def summaries_not_empty(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    where = {"country": partition.country, "language": partition.language}
    with warehouse.get_connection() as conn:
        if failure := missing_tables(conn, STORED):
            return failure
        empty = conn.execute(
            f"SELECT article_id FROM {tables.ARTICLE_SUMMARIES}"
            " WHERE country = $country AND language = $language AND coalesce(trim(summary), '') = ''",
            where,
        ).df()
        stored = conn.execute(
            f"SELECT count(*) FROM {tables.ARTICLE_SUMMARIES} WHERE country = $country AND language = $language", where
        ).fetchone()[0]
    return AssetCheckResult(
        passed=empty.empty,
        metadata={
            "partition": str(partition),
            "summaries_checked": stored,
            "empty_summaries": len(empty),
            "examples": md(empty.head(20)),
        },
    )


@asset_check(
    asset=tables.ARTICLE_SUMMARIES.key,
    partitions_def=article_partitions,
    blocking=True,
    description="every translated article of the partition is summarised or recorded as a failure, once",
)
def article_summaries_accounted(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, summaries_accounted)


def summaries_accounted(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if failure := missing_tables(conn, ACCOUNTED):
            return failure
        problems = conn.execute(
            f"""
            WITH translated AS (
                SELECT article_id FROM {tables.TRANSLATED_ARTICLES} WHERE country = $country AND language = $language
            ),
            outcomes AS (
                SELECT article_id FROM {tables.ARTICLE_SUMMARIES} WHERE country = $country AND language = $language
                UNION ALL
                SELECT article_id FROM {tables.ARTICLE_SUMMARY_FAILURES} WHERE country = $country AND language = $language
            ),
            counted AS (
                SELECT article_id, count(o.article_id) AS outcomes, bool_or(t.article_id IS NOT NULL) AS translated
                FROM outcomes o FULL JOIN translated t USING (article_id)
                GROUP BY ALL
            )
            SELECT article_id,
                   CASE WHEN outcomes = 0 THEN 'neither summarised nor failed'
                        WHEN NOT translated THEN 'not a translated article'
                        ELSE 'summarised or failed more than once' END AS problem
            FROM counted
            WHERE outcomes != 1 OR NOT translated
            ORDER BY ALL
            """,
            {"country": partition.country, "language": partition.language},
        ).df()
    by_problem = problems["problem"].value_counts().to_dict()
    return AssetCheckResult(
        passed=problems.empty,
        metadata={
            "partition": str(partition),
            "unaccounted": by_problem.get("neither summarised nor failed", 0),
            "not_translated": by_problem.get("not a translated article", 0),
            "duplicated": by_problem.get("summarised or failed more than once", 0),
            "examples": md(problems.head(20)),
        },
    )
