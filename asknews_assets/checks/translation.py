"""Checks of the English layer: every raw article translated, declared languages confirmed."""

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from asknews_assets.assets.translation import TRANSLATED_ARTICLES
from asknews_assets.metadata import md
from asknews_assets.resources.warehouse import Warehouse
from asknews_assets.storage import table_exists

MAX_LISTED = 50


@asset_check(
    asset=TRANSLATED_ARTICLES,
    description="py3langid identifies the declared language in every original text (mismatches are kept, not dropped)",
)
def translated_articles_language_matches(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "translated_articles"):
            return AssetCheckResult(passed=False, metadata={"error": "translated_articles does not exist"})
        checked = conn.execute("SELECT count(*) FROM translated_articles").fetchone()[0]
        mismatches = conn.execute(
            """
            SELECT country, language, article_id, detected_language, round(language_confidence, 3) AS confidence
            FROM translated_articles WHERE NOT language_matches ORDER BY country, language, article_id
            """
        ).df()
    return AssetCheckResult(
        passed=mismatches.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "articles_checked": checked,
            "mismatches": len(mismatches),
            "mismatching_article_ids": MetadataValue.json(mismatches["article_id"].head(MAX_LISTED).tolist()),
            "mismatching_articles": md(mismatches, max_rows=MAX_LISTED),
        },
    )


@asset_check(
    asset=TRANSLATED_ARTICLES,
    description="every raw article of a translated partition has a non-empty English text or is recorded as a"
    " translation failure with its reason",
)
def translated_articles_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "translated_articles") or not table_exists(conn, "raw_articles"):
            return AssetCheckResult(
                passed=False, metadata={"error": "translated_articles or raw_articles does not exist"}
            )
        failures = "translation_failures" if table_exists(conn, "translation_failures") else None
        recorded = (
            f"AND NOT EXISTS (SELECT 1 FROM {failures} f WHERE f.country = r.country AND f.language = r.language"
            " AND f.article_id = r.article_id)"
            if failures
            else ""
        )
        untranslated = conn.execute(
            f"""
            SELECT r.country, r.language, r.article_id
            FROM raw_articles r
            JOIN (SELECT DISTINCT country, language FROM translated_articles) p USING (country, language)
            LEFT JOIN translated_articles t USING (country, language, article_id)
            WHERE coalesce(trim(t.text_en), '') = '' {recorded}
            ORDER BY ALL
            """
        ).df()
        failed = conn.execute(f"SELECT count(*) FROM {failures}").fetchone()[0] if failures else 0
    return AssetCheckResult(
        passed=untranslated.empty,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "untranslated": len(untranslated),
            "recorded_translation_failures": failed,
            "untranslated_articles": md(untranslated, max_rows=MAX_LISTED),
        },
    )
