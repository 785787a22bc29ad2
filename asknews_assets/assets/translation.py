"""The English layer: every article of a country x language partition in English."""

from typing import Optional

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets.metadata import column_schema, table_preview
from asknews_assets.partitions import article_backfill_policy, article_partitions, partitions_of
from asknews_assets.resources.translation import Translator
from asknews_assets.settings import MISSING_ENGLISH_CHOICES
from asknews_assets.translation.articles import partition_translation, source_articles, translation_stats
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse

INPUTS = tables.Inputs(tables.RAW_ARTICLES)


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
    deps=INPUTS.deps,
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
        with INPUTS.open(warehouse) as conn:
            articles = source_articles(tables.RAW_ARTICLES.read_partition(conn, partition))
        translations = translator.translate_articles(
            articles, partition.language, machine_translate_all=config.measure_chrf, missing_english=config.missing_english
        )
        translated = partition_translation(partition, articles, translations)
        with warehouse.get_connection() as conn:
            tables.TRANSLATED_ARTICLES.replace_partition(conn, partition, translated.rows)
            tables.TRANSLATION_FAILURES.replace_partition(conn, partition, translated.failures)
        if translated.failures:
            context.log.info(
                f"{partition}: {len(translated.failures)} article(s) without English, recorded in {tables.TRANSLATION_FAILURES}"
            )
        all_rows += translated.rows
        all_articles += articles
        all_translations += translations
    stats = translation_stats(all_rows, all_articles, all_translations)

    metadata = {
        "dagster/row_count": len(all_rows),
        "dagster/column_schema": column_schema(tables.TRANSLATED_ARTICLES.ddl),
        "dagster/table_name": tables.TRANSLATED_ARTICLES.name,
        **stats.counts,
        "backend": translator.backend,
        "models": ", ".join(stats.models) or "none",
        "chrf_articles": stats.chrf_articles,
        "language_mismatches": len(stats.language_mismatches),
        "failures_table": tables.TRANSLATION_FAILURES.name,
        "warehouse": MetadataValue.path(str(warehouse.database)),
        "preview": table_preview(stats.preview),
    }
    if stats.corpus_chrf is not None:
        metadata["corpus_chrf"] = MetadataValue.float(round(stats.corpus_chrf, 2))
    if stats.language_mismatches:
        metadata["mismatched_languages"] = table_preview(stats.language_mismatches, max_rows=50)
    return MaterializeResult(metadata=metadata)
