"""The enrichment layer: English summaries and their sentence embeddings, per country x language."""

import re
import time
from collections import Counter
from datetime import datetime, timezone

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from asknews_assets.embeddings import embedding_text
from asknews_assets.metadata import column_schema, counts_md, table_preview
from asknews_assets.partitions import article_backfill_policy, article_partitions, partitions_of
from asknews_assets.resources.embeddings import Embedder
from asknews_assets.resources.summaries import Summarizer
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import read_partition, replace_partition, table_exists
from asknews_assets.summaries import ArticleText

TRANSLATED_ARTICLES = AssetKey("translated_articles")
ARTICLE_SUMMARIES = AssetKey("article_summaries")
ARTICLE_EMBEDDINGS = AssetKey("article_embeddings")

SUMMARIES_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, summary VARCHAR NOT NULL,
    summary_backend VARCHAR, summary_model VARCHAR, prompt_version VARCHAR, input_hash VARCHAR
"""
SUMMARY_FAILURES_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, reason VARCHAR, attempts INTEGER
"""
SUMMARY_STATS_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, summary_backend VARCHAR, summary_model VARCHAR,
    prompt_version VARCHAR, articles BIGINT, summarised BIGINT, failed BIGINT, cache_hits BIGINT, new_calls BIGINT,
    run_id VARCHAR, materialized_at TIMESTAMPTZ
"""


# A list, not FLOAT[dimension]: DuckLake has no fixed-size arrays. One length per table is kept by
# the asset (see _stored_dimensions) and checked by article_embeddings_complete.
EMBEDDINGS_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL,
    embedding FLOAT[] NOT NULL,
    embedding_model VARCHAR, embedding_dim INTEGER, embedded_field VARCHAR
"""


def _text(value: object) -> str:
    """A nullable text column's value as a string ('' for NULL)."""
    return value if isinstance(value, str) else ""


def _require_table(conn, table: str, asset_key: AssetKey) -> None:
    if not table_exists(conn, table):
        raise Failure(f"table {table} does not exist yet: materialise {asset_key.to_user_string()} first")


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="summaries",
    kinds={"duckdb", "python"},
    tags={"stage": "summaries"},
    deps=[TRANSLATED_ARTICLES],
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
    produced_by = {
        "summary_backend": summarizer.backend,
        "summary_model": summarizer.model_name,
        "prompt_version": summarizer.prompt_version,
    }
    all_stats, all_summaries, failures_by_reason, preview = [], [], Counter(), []
    for partition in partitions_of(context):
        with warehouse.get_connection() as conn:
            _require_table(conn, "translated_articles", TRANSLATED_ARTICLES)
            translated = read_partition(conn, "translated_articles", partition)

        titles = dict(zip(translated["article_id"], translated["title_en"]))
        articles = [ArticleText(row.article_id, _text(row.title_en), _text(row.text_en)) for row in translated.itertuples()]
        completions = summarizer.summarize(articles)

        keys = {"country": partition.country, "language": partition.language}
        summaries = [
            {**keys, "article_id": c.key, "summary": c.text, **produced_by, "input_hash": c.input_hash}
            for c in completions
            if c.ok
        ]
        failures = [
            {**keys, "article_id": c.key, "reason": c.failure, "attempts": c.attempts} for c in completions if not c.ok
        ]
        stats = {
            **keys,
            **produced_by,
            "articles": len(completions),
            "summarised": len(summaries),
            "failed": len(failures),
            "cache_hits": sum(c.cached for c in completions),
            "new_calls": sum(c.attempts for c in completions),
            "run_id": context.run.run_id,
            "materialized_at": datetime.now(timezone.utc),
        }
        with warehouse.get_connection() as conn:
            replace_partition(conn, "article_summaries", SUMMARIES_DDL, partition, summaries)
            replace_partition(conn, "article_summary_failures", SUMMARY_FAILURES_DDL, partition, failures)
            replace_partition(conn, "article_summary_stats", SUMMARY_STATS_DDL, partition, [stats])
        context.log.info(
            f"{partition}: {len(summaries)} summarised ({stats['cache_hits']} from the cache,"
            f" {stats['new_calls']} new calls), {len(failures)} failed"
        )
        all_stats.append(stats)
        all_summaries += summaries
        failures_by_reason.update(f["reason"] for f in failures)
        preview += [{"partition": str(partition), "article_id": s["article_id"], "title": titles.get(s["article_id"]),
                     "summary": s["summary"]} for s in summaries]  # fmt: skip

    totals = {k: sum(s[k] for s in all_stats) for k in ("articles", "summarised", "failed", "cache_hits", "new_calls")}
    words = [len(s["summary"].split()) for s in all_summaries]
    return MaterializeResult(
        metadata={
            "dagster/row_count": totals["summarised"],
            "dagster/column_schema": column_schema(SUMMARIES_DDL),
            "dagster/table_name": "article_summaries",
            "articles": totals["articles"],
            "summarised": totals["summarised"],
            "cache_hits": totals["cache_hits"],
            "new_calls": totals["new_calls"],
            "failures": totals["failed"],
            "failures_by_reason": counts_md(failures_by_reason.most_common(), key="reason"),
            "average_words": round(sum(words) / len(words), 1) if words else 0.0,
            "backend": summarizer.backend,
            "model": summarizer.model_name,
            "prompt_version": summarizer.prompt_version,
            "warehouse": MetadataValue.path(str(warehouse.database)),
            "preview": table_preview(preview, width=160),
        }
    )


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="embeddings",
    kinds={"duckdb", "pytorch"},
    tags={"stage": "embeddings"},
    deps=[ARTICLE_SUMMARIES],
    code_version="2",
)
def article_embeddings(context: AssetExecutionContext, embedder: Embedder, warehouse: Warehouse) -> MaterializeResult:
    """A unit-length sentence embedding of each summarised article (its summary by default).

    Stored as FLOAT[] lists of one length, so cosine similarity is `list_inner_product` in SQL.
    Every partition of the table must come from one model: a model of another dimension is refused.
    """
    field = embedder.text_field
    stored, preview, seconds = 0, [], 0.0
    for partition in partitions_of(context):
        with warehouse.get_connection() as conn:
            _require_table(conn, "article_summaries", ARTICLE_SUMMARIES)
            _require_table(conn, "translated_articles", TRANSLATED_ARTICLES)
            articles = conn.execute(
                """
                SELECT s.article_id, s.summary, t.title_en, t.text_en
                FROM article_summaries s
                LEFT JOIN translated_articles t USING (country, language, article_id)
                WHERE s.country = ? AND s.language = ?
                ORDER BY s.article_id
                """,
                [partition.country, partition.language],
            ).df()
            stored_dimensions = _stored_dimensions(conn)

        texts = [
            embedding_text(field, title=_text(row.title_en), summary=row.summary, translation=_text(row.text_en))
            for row in articles.itertuples()
        ]
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        seconds += time.perf_counter() - started
        dimension = embedder.dimension
        if stored_dimensions - {dimension}:
            raise Failure(
                f"article_embeddings holds {sorted(stored_dimensions)}-dimension embeddings but {embedder.model_name} gives {dimension} dimensions:"
                " every partition must use one model; drop the table and re-materialise all partitions to switch models"
            )

        rows = pd.DataFrame(
            {
                "country": partition.country,
                "language": partition.language,
                "article_id": articles["article_id"],
                "embedding": list(vectors),
                "embedding_model": embedder.model_name,
                "embedding_dim": dimension,
                "embedded_field": field,
            }
        )
        with warehouse.get_connection() as conn:
            replace_partition(conn, "article_embeddings", EMBEDDINGS_DDL, partition, rows)
        stored += len(rows)
        preview += [{"partition": str(partition), "article_id": a, "embedded_text": t} for a, t in zip(articles["article_id"], texts)]

    return MaterializeResult(
        metadata={
            "dagster/row_count": stored,
            "dagster/column_schema": column_schema(EMBEDDINGS_DDL),
            "dagster/table_name": "article_embeddings",
            "model": embedder.model_name,
            "dimension": embedder.dimension,
            "field": field,
            "seconds": round(seconds, 2),
            "texts_per_second": round(stored / seconds, 1) if stored and seconds > 0 else 0.0,
            "preview": table_preview(preview),
        }
    )


def _stored_dimensions(conn) -> set[int]:
    """Lengths of the stored embeddings, and the length a fixed-size array column (older files) requires."""
    if not table_exists(conn, "article_embeddings"):
        return set()
    dimensions = {int(n) for (n,) in conn.execute("SELECT DISTINCT len(embedding) FROM article_embeddings").fetchall()}
    (column_type,) = conn.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'article_embeddings'"
        " AND column_name = 'embedding' AND table_catalog = current_database()"
    ).fetchone()
    if fixed := re.fullmatch(r"FLOAT\[(\d+)\]", column_type):
        dimensions.add(int(fixed.group(1)))
    return dimensions
