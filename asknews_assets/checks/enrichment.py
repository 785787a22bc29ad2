"""Checks of the enrichment layer: summaries complete and non-empty, embeddings complete and unit-length."""


from dagster import AssetCheckResult, asset_check

from asknews_assets.assets.enrichment import ARTICLE_EMBEDDINGS, ARTICLE_SUMMARIES
from asknews_assets.resources.warehouse import Warehouse
from asknews_assets.storage import table_exists

SUMMARY_TABLES = ("translated_articles", "article_summaries", "article_summary_failures", "article_summary_stats")


def _missing_tables(conn, tables) -> list[str]:
    return [table for table in tables if not table_exists(conn, table)]


@asset_check(asset=ARTICLE_SUMMARIES, blocking=True, description="no stored summary is empty")
def article_summaries_not_empty(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "article_summaries"):
            return AssetCheckResult(passed=False, metadata={"error": "article_summaries does not exist"})
        empty = conn.execute(
            "SELECT country, language, article_id FROM article_summaries WHERE coalesce(trim(summary), '') = ''"
        ).df()
        stored = conn.execute("SELECT count(*) FROM article_summaries").fetchone()[0]
    return AssetCheckResult(
        passed=empty.empty,
        metadata={"summaries_checked": stored, "empty_summaries": len(empty), "examples": empty.head(20).to_string()},
    )


@asset_check(
    asset=ARTICLE_SUMMARIES,
    blocking=True,
    description="every translated article of a summarised partition is summarised or recorded as a failure, once",
)
def article_summaries_accounted(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if missing := _missing_tables(conn, SUMMARY_TABLES):
            return AssetCheckResult(passed=False, metadata={"error": f"missing tables: {', '.join(missing)}"})
        problems = conn.execute(
            """
            WITH checked AS (SELECT DISTINCT country, language FROM article_summary_stats),
            translated AS (
                SELECT country, language, article_id FROM translated_articles JOIN checked USING (country, language)
            ),
            outcomes AS (
                SELECT country, language, article_id FROM (
                    SELECT country, language, article_id FROM article_summaries
                    UNION ALL
                    SELECT country, language, article_id FROM article_summary_failures
                ) JOIN checked USING (country, language)
            ),
            counted AS (
                SELECT country, language, article_id,
                       count(o.article_id) AS outcomes, bool_or(t.article_id IS NOT NULL) AS translated
                FROM outcomes o FULL JOIN translated t USING (country, language, article_id)
                GROUP BY ALL
            )
            SELECT country, language, article_id,
                   CASE WHEN outcomes = 0 THEN 'neither summarised nor failed'
                        WHEN NOT translated THEN 'not a translated article'
                        ELSE 'summarised or failed more than once' END AS problem
            FROM counted
            WHERE outcomes != 1 OR NOT translated
            ORDER BY ALL
            """
        ).df()
        partitions = conn.execute("SELECT count(*) FROM article_summary_stats").fetchone()[0]
    by_problem = problems["problem"].value_counts().to_dict()
    return AssetCheckResult(
        passed=problems.empty,
        metadata={
            "partitions_checked": partitions,
            "unaccounted": by_problem.get("neither summarised nor failed", 0),
            "not_translated": by_problem.get("not a translated article", 0),
            "duplicated": by_problem.get("summarised or failed more than once", 0),
            "examples": problems.head(20).to_string(),
        },
    )


@asset_check(
    asset=ARTICLE_EMBEDDINGS,
    blocking=True,
    description="every summary of an embedded partition has one unit-length embedding, all from one model",
)
def article_embeddings_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if missing := _missing_tables(conn, ("article_summaries", "article_embeddings")):
            return AssetCheckResult(passed=False, metadata={"error": f"missing tables: {', '.join(missing)}"})
        mismatched = conn.execute(
            """
            WITH embedded AS (
                SELECT country, language, count(*) AS embeddings, count(DISTINCT article_id) AS articles
                FROM article_embeddings GROUP BY ALL
            ),
            summarised AS (SELECT country, language, count(*) AS summaries FROM article_summaries GROUP BY ALL)
            SELECT e.country, e.language, e.embeddings, e.articles, coalesce(s.summaries, 0) AS summaries,
                   (SELECT count(*) FROM article_embeddings a
                    JOIN article_summaries USING (country, language, article_id)
                    WHERE a.country = e.country AND a.language = e.language) AS matched
            FROM embedded e LEFT JOIN summarised s USING (country, language)
            WHERE e.embeddings != e.articles OR e.embeddings != coalesce(s.summaries, 0) OR matched != e.embeddings
            """
        ).df()
        not_unit = conn.execute(
            "SELECT count(*) FROM article_embeddings"
            " WHERE abs(list_inner_product(embedding, embedding) - 1) > 1e-3 OR len(embedding) != embedding_dim"
        ).fetchone()[0]
        models = conn.execute("SELECT DISTINCT embedding_model AS m FROM article_embeddings ORDER BY 1").df()["m"]
        stored = conn.execute("SELECT count(*) FROM article_embeddings").fetchone()[0]
    return AssetCheckResult(
        passed=mismatched.empty and not_unit == 0 and len(models) <= 1,
        metadata={
            "embeddings_checked": stored,
            "partitions_mismatched": len(mismatched),
            "not_unit_length": not_unit,
            "models": ", ".join(models.astype(str)),
            "mismatched": mismatched.head(20).to_string(),
        },
    )
