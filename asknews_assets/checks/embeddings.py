"""Checks of the embeddings stage: every summary embedded once, at unit length, by one model.

Each checks the partitions the run materialises only.
"""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from asknews_assets.checks import check_each_partition, missing_tables
from asknews_assets.metadata import md
from asknews_assets.partitions import ArticlePartition, article_partitions
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse

INPUTS = tables.Inputs(tables.ARTICLE_SUMMARIES, tables.ARTICLE_EMBEDDINGS)


@asset_check(
    asset=tables.ARTICLE_EMBEDDINGS.key,
    partitions_def=article_partitions,
    blocking=True,
    description="every summary of the partition has one unit-length embedding, all from one model",
)
def article_embeddings_complete(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, embeddings_complete)


def embeddings_complete(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    where = {"country": partition.country, "language": partition.language}
    embeddings, summaries = tables.ARTICLE_EMBEDDINGS, tables.ARTICLE_SUMMARIES
    with warehouse.get_connection() as conn:
        if failure := missing_tables(conn, INPUTS):
            return failure
        unmatched = conn.execute(
            f"""
            WITH e AS (SELECT article_id FROM {embeddings} WHERE country = $country AND language = $language),
            s AS (SELECT article_id FROM {summaries} WHERE country = $country AND language = $language)
            SELECT article_id, count(e.article_id) AS embeddings, bool_or(s.article_id IS NOT NULL) AS summarised
            FROM e FULL JOIN s USING (article_id)
            GROUP BY ALL HAVING embeddings != 1 OR NOT summarised
            ORDER BY ALL
            """,
            where,
        ).df()
        not_unit = conn.execute(
            f"SELECT count(*) FROM {embeddings} WHERE country = $country AND language = $language"
            " AND (abs(list_inner_product(embedding, embedding) - 1) > 1e-3 OR len(embedding) != embedding_dim)",
            where,
        ).fetchone()[0]
        # One model across the table: the partition's rows against every other partition's.
        models = conn.execute(f"SELECT DISTINCT embedding_model AS m FROM {embeddings} ORDER BY 1").df()["m"]
        stored = conn.execute(
            f"SELECT count(*) FROM {embeddings} WHERE country = $country AND language = $language", where
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
