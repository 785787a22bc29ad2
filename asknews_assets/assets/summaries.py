"""The summaries stage: an English summary of each translated article, per country x language."""

from datetime import datetime, timezone

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from asknews_assets.metadata import column_schema, counts_md, table_preview
from asknews_assets.partitions import article_backfill_policy, article_partitions, partitions_of
from asknews_assets.resources.summaries import Summarizer
from asknews_assets.summaries.rows import summarize_partition, summary_totals
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse

INPUTS = tables.Inputs(tables.TRANSLATED_ARTICLES)


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="summaries",
    kinds={"duckdb", "python"},
    tags={"stage": "summaries"},
    deps=INPUTS.deps,
    code_version="2",
)
def article_summaries(
    context: AssetExecutionContext, summarizer: Summarizer, warehouse: Warehouse
) -> MaterializeResult:
    """A factual English summary of each translated article, from an LLM or extractive.

    LLM answers are cached in `llm_cache`, so re-running a partition makes no new calls. Articles
    that cannot be summarised go to `article_summary_failures` with a reason, never as a summary;
    `article_summary_stats` records the partition's counts for the completeness check.
    """
    done = []
    for partition in partitions_of(context):
        with INPUTS.open(warehouse) as conn:
            translated = tables.TRANSLATED_ARTICLES.read_partition(conn, partition)
        outcome = summarize_partition(partition, translated, summarizer, context.run.run_id, datetime.now(timezone.utc))
        with warehouse.get_connection() as conn:
            tables.ARTICLE_SUMMARIES.replace_partition(conn, partition, outcome.summaries)
            tables.ARTICLE_SUMMARY_FAILURES.replace_partition(conn, partition, outcome.failures)
            tables.ARTICLE_SUMMARY_STATS.replace_partition(conn, partition, [outcome.stats])
        stats = outcome.stats
        context.log.info(
            f"{partition}: {stats['summarised']} summarised ({stats['cache_hits']} from the cache,"
            f" {stats['new_calls']} new calls), {stats['failed']} failed"
        )
        done.append(outcome)

    totals = summary_totals(done)
    return MaterializeResult(
        metadata={
            "dagster/row_count": totals["summarised"],
            "dagster/column_schema": column_schema(tables.ARTICLE_SUMMARIES.ddl),
            "dagster/table_name": tables.ARTICLE_SUMMARIES.name,
            "articles": totals["articles"],
            "summarised": totals["summarised"],
            "cache_hits": totals["cache_hits"],
            "new_calls": totals["new_calls"],
            "failures": totals["failed"],
            "failures_by_reason": counts_md(totals["failures_by_reason"], key="reason"),
            "average_words": totals["average_words"],
            "backend": summarizer.backend,
            "model": summarizer.model_name,
            "prompt_version": summarizer.prompt_version,
            "warehouse": MetadataValue.path(str(warehouse.database)),
            "preview": table_preview([row for outcome in done for row in outcome.preview], width=160),
        }
    )
