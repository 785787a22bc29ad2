"""The English layer: every article of a country x language partition in English."""

from typing import Optional

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets.metadata import column_schema, table_preview
from asknews_assets.partitions import article_backfill_policy, article_partitions, partitions_of
from asknews_assets.settings import MISSING_ENGLISH_CHOICES
from asknews_assets.resources.translation import Translator
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import read_partition, replace_partition
from asknews_assets.translation.articles import failure_rows, source_articles, summarize, translation_rows

TRANSLATED_ARTICLES_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL,
    title_en VARCHAR, text_en VARCHAR, translation_backend VARCHAR, translation_model VARCHAR,
    chrf DOUBLE, detected_language VARCHAR, language_confidence DOUBLE, language_matches BOOLEAN
"""

TRANSLATION_FAILURES_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, reason VARCHAR
"""

TRANSLATED_ARTICLES = AssetKey("translated_articles")


class TranslatedArticlesConfig(Config):
    measure_chrf: bool = Field(
        default=False,
        description="Also machine-translate articles whose English the source provides, and report chrF"
        " against it (needs a translation model: the source-provided backend's fallback).",
    )
    missing_english: Optional[str] = Field(
        default=None,
        description=f"Articles without source-provided English, one of {MISSING_ENGLISH_CHOICES}: 'fail' the partition,"
        " 'skip' them (recorded in translation_failures), or 'machine'-translate them; unset: the translator's"
        " setting (ASKNEWS_MISSING_ENGLISH).",
    )


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="translation",
    deps=[AssetKey("raw_articles")],
    kinds={"duckdb", "ctranslate2", "python"},
    tags={"stage": "translation"},
    code_version="2",
    # Bounds translation steps across runs where the instance sets a limit (deploy/production).
    pool="translation",
)
def translated_articles(
    context: AssetExecutionContext, config: TranslatedArticlesConfig, translator: Translator, warehouse: Warehouse
) -> MaterializeResult:
    """English title and text of each raw article of the partition.

    English articles pass through; others take the English their source provides or a CTranslate2
    translation, depending on the translator resource. Each row records how its English was made and
    by which model, chrF where a machine translation and source-provided English both exist, and the
    language py3langid identifies in the original text: a mismatch with the declared language is
    recorded (and warned about by an asset check), never dropped. An article that gets no English
    (no source English and `missing_english` 'skip') goes to `translation_failures` with the reason.
    """
    if config.missing_english is not None and config.missing_english not in MISSING_ENGLISH_CHOICES:
        raise ValueError(f"missing_english must be one of {MISSING_ENGLISH_CHOICES}, not {config.missing_english!r}")
    all_rows, all_articles, all_translations = [], [], []
    for partition in partitions_of(context):
        with warehouse.get_connection() as conn:
            articles = source_articles(read_partition(conn, "raw_articles", partition))
        translations = translator.translate_articles(
            articles, partition.language, machine_translate_all=config.measure_chrf, missing_english=config.missing_english
        )
        rows = translation_rows(partition, articles, translations)
        failures = failure_rows(partition, translations)
        with warehouse.get_connection() as conn:
            replace_partition(conn, "translated_articles", TRANSLATED_ARTICLES_DDL, partition, rows)
            replace_partition(conn, "translation_failures", TRANSLATION_FAILURES_DDL, partition, failures)
        if failures:
            context.log.info(f"{partition}: {len(failures)} article(s) without English, recorded in translation_failures")
        all_rows += rows
        all_articles += articles
        all_translations += translations
    summary = summarize(all_rows, all_articles, all_translations)

    preview = [
        {k: r[k] for k in ("country", "language", "article_id", "translation_backend", "detected_language", "title_en")}
        for r in all_rows
    ]
    metadata = {
        "dagster/row_count": len(all_rows),
        "dagster/column_schema": column_schema(TRANSLATED_ARTICLES_DDL),
        "dagster/table_name": "translated_articles",
        **summary.counts,
        "backend": translator.backend,
        "models": ", ".join(summary.models) or "none",
        "chrf_articles": summary.chrf_articles,
        "language_mismatches": len(summary.language_mismatches),
        "failures_table": "translation_failures",
        "warehouse": MetadataValue.path(str(warehouse.database)),
        "preview": table_preview(preview),
    }
    if summary.corpus_chrf is not None:
        metadata["corpus_chrf"] = MetadataValue.float(round(summary.corpus_chrf, 2))
    if summary.language_mismatches:
        metadata["mismatched_languages"] = table_preview(summary.language_mismatches, max_rows=50)
    return MaterializeResult(metadata=metadata)
