"""Checks of the English layer: every raw article translated, declared languages confirmed.

Both check the partitions the run materialises only.
"""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from asknews_assets.checks import check_each_partition
from asknews_assets.metadata import md
from asknews_assets.partitions import ArticlePartition, article_partitions
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse

MAX_LISTED = 50


@asset_check(
    asset=tables.TRANSLATED_ARTICLES.key,
    partitions_def=article_partitions,
    description="py3langid identifies the declared language in every original text (mismatches are kept, not dropped)",
)
def translated_articles_language_matches(
    context: AssetCheckExecutionContext, warehouse: Warehouse
) -> AssetCheckResult:
    return check_each_partition(context, warehouse, language_matches)


def language_matches(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    """The translated_articles_language_matches result for one partition."""
    where = [partition.country, partition.language]
    with warehouse.get_connection() as conn:
        if not tables.TRANSLATED_ARTICLES.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.TRANSLATED_ARTICLES} does not exist"})
        checked = conn.execute(
            f"SELECT count(*) FROM {tables.TRANSLATED_ARTICLES} WHERE country = ? AND language = ?", where
        ).fetchone()[0]
        mismatches = conn.execute(
            f"""
            SELECT article_id, detected_language, round(language_confidence, 3) AS confidence
            FROM {tables.TRANSLATED_ARTICLES} WHERE country = ? AND language = ? AND NOT language_matches
            ORDER BY article_id
            """,
            where,
        ).df()
    return AssetCheckResult(
        passed=mismatches.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "partition": str(partition),
            "articles_checked": checked,
            "mismatches": len(mismatches),
            "mismatching_article_ids": MetadataValue.json(mismatches["article_id"].head(MAX_LISTED).tolist()),
            "mismatching_articles": md(mismatches, max_rows=MAX_LISTED),
        },
    )


@asset_check(
    asset=tables.TRANSLATED_ARTICLES.key,
    partitions_def=article_partitions,
    description="every raw article of the partition has a non-empty English text or is recorded as a"
    " translation failure with its reason",
)
def translated_articles_complete(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    return check_each_partition(context, warehouse, translations_complete)


def translations_complete(warehouse: Warehouse, partition: ArticlePartition) -> AssetCheckResult:
    """The translated_articles_complete result for one partition."""
    with warehouse.get_connection() as conn:
        if not tables.TRANSLATED_ARTICLES.exists(conn) or not tables.RAW_ARTICLES.exists(conn):
            return AssetCheckResult(
                passed=False, metadata={"error": f"{tables.TRANSLATED_ARTICLES} or {tables.RAW_ARTICLES} does not exist"}
            )
        failures = tables.TRANSLATION_FAILURES if tables.TRANSLATION_FAILURES.exists(conn) else None
        recorded = (
            f"AND NOT EXISTS (SELECT 1 FROM {failures} f WHERE f.country = r.country AND f.language = r.language"
            " AND f.article_id = r.article_id)"
            if failures
            else ""
        )
        untranslated = conn.execute(
            f"""
            SELECT r.article_id
            FROM {tables.RAW_ARTICLES} r
            LEFT JOIN {tables.TRANSLATED_ARTICLES} t USING (country, language, article_id)
            WHERE r.country = ? AND r.language = ? AND coalesce(trim(t.text_en), '') = '' {recorded}
            ORDER BY ALL
            """,
            [partition.country, partition.language],
        ).df()
        failed = (
            conn.execute(f"SELECT count(*) FROM {failures} WHERE country = ? AND language = ?", [partition.country, partition.language]).fetchone()[0]
            if failures
            else 0
        )
    return AssetCheckResult(
        passed=untranslated.empty,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "partition": str(partition),
            "untranslated": len(untranslated),
            "recorded_translation_failures": failed,
            "untranslated_articles": md(untranslated, max_rows=MAX_LISTED),
        },
    )
