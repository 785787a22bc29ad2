"""Checks of the enrichment layer: summaries complete and non-empty, embeddings complete and unit-length.

Each checks the partitions the run materialises only.
"""


from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from asknews_assets.assets.enrichment import ARTICLE_EMBEDDINGS, ARTICLE_SUMMARIES
from asknews_assets.metadata import md
from asknews_assets.checks import check_each_partition
from asknews_assets.partitions import ArticlePartition, article_partitions
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import table_exists

SUMMARY_TABLES = ("translated_articles", "article_summaries", "article_summary_failures", "article_summary_stats")


def _missing_tables(conn, tables) -> list[str]:
    return [table for table in tables if not table_exists(conn, table)]


@asset_check(
    asset=ARTICLE_SUMMARIES, partitions_def=article_partitions, blocking=True, description="no stored summary is empty"
)
def article_summaries_not_empty(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, summaries_not_empty)


def summaries_not_empty(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    where = {"country": partition.country, "language": partition.language}
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "article_summaries"):
            return AssetCheckResult(passed=False, metadata={"error": "article_summaries does not exist"})
        empty = conn.execute(
            "SELECT article_id FROM article_summaries"
            " WHERE country = $country AND language = $language AND coalesce(trim(summary), '') = ''",
            where,
        ).df()
        stored = conn.execute(
            "SELECT count(*) FROM article_summaries WHERE country = $country AND language = $language", where
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
    asset=ARTICLE_SUMMARIES,
    partitions_def=article_partitions,
    blocking=True,
    description="every translated article of the partition is summarised or recorded as a failure, once",
)
def article_summaries_accounted(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, summaries_accounted)


def summaries_accounted(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if missing := _missing_tables(conn, SUMMARY_TABLES):
            return AssetCheckResult(passed=False, metadata={"error": f"missing tables: {', '.join(missing)}"})
        problems = conn.execute(
            """
            WITH translated AS (
                SELECT article_id FROM translated_articles WHERE country = $country AND language = $language
            ),
            outcomes AS (
                SELECT article_id FROM article_summaries WHERE country = $country AND language = $language
                UNION ALL
                SELECT article_id FROM article_summary_failures WHERE country = $country AND language = $language
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


@asset_check(
    asset=ARTICLE_EMBEDDINGS,
    partitions_def=article_partitions,
    blocking=True,
    description="every summary of the partition has one unit-length embedding, all from one model",
)
def article_embeddings_complete(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, embeddings_complete)


def embeddings_complete(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    where = {"country": partition.country, "language": partition.language}
    with warehouse.get_connection() as conn:
        if missing := _missing_tables(conn, ("article_summaries", "article_embeddings")):
            return AssetCheckResult(passed=False, metadata={"error": f"missing tables: {', '.join(missing)}"})
        unmatched = conn.execute(
            """
            WITH e AS (SELECT article_id FROM article_embeddings WHERE country = $country AND language = $language),
            s AS (SELECT article_id FROM article_summaries WHERE country = $country AND language = $language)
            SELECT article_id, count(e.article_id) AS embeddings, bool_or(s.article_id IS NOT NULL) AS summarised
            FROM e FULL JOIN s USING (article_id)
            GROUP BY ALL HAVING embeddings != 1 OR NOT summarised
            ORDER BY ALL
            """,
            where,
        ).df()
        not_unit = conn.execute(
            "SELECT count(*) FROM article_embeddings WHERE country = $country AND language = $language"
            " AND (abs(list_inner_product(embedding, embedding) - 1) > 1e-3 OR len(embedding) != embedding_dim)",
            where,
        ).fetchone()[0]
        # One model across the table: the partition's rows against every other partition's.
        models = conn.execute("SELECT DISTINCT embedding_model AS m FROM article_embeddings ORDER BY 1").df()["m"]
        stored = conn.execute(
            "SELECT count(*) FROM article_embeddings WHERE country = $country AND language = $language", where
        ).fetchone()[0]
    return AssetCheckResult(
        passed=unmatched.empty and not_unit == 0 and len(models) <= 1,
        metadata={
            "partition": str(partition),
            "embeddings_checked": stored,
            "articles_mismatched": len(unmatched),
            "not_unit_length": not_unit,
            "models": ", ".join(models.astype(str)),
            "mismatched": md(unmatched.head(20)),
        },
    )
