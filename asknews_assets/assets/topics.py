"""The topic layer: topics over every embedded article, and the diversified sample drawn across them.

Both assets are unpartitioned and read every country x language partition of their inputs.
"""

from collections import Counter
from dataclasses import fields
from typing import Optional

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, AssetKey, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets.warehouse import tables as warehouse_tables
from asknews_assets.warehouse.readers import cross_partition_id_collisions
from asknews_assets.supply import coverage_metadata, materialized_partitions, stage_coverage
from asknews_assets.llm import LLMCache
from asknews_assets.metadata import bar_plot, counts_md, largest_title, md, png
from asknews_assets.resources.topics import TopicLabeler
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import replace_table, table_exists
from asknews_assets.topics.clustering import NOISE, REDUCTIONS, ClusteringSettings, cluster_embeddings
from asknews_assets.topics.describe import TopicDescription, describe_topics, topic_tables
from asknews_assets.sample.diversity import best_possible_metrics, compare_to_baseline, diversity_metrics
from asknews_assets.sample.sampler import DATE_BUCKETS, SamplerSettings, random_sample, select_diverse_sample

ARTICLE_SUMMARIES = AssetKey("article_summaries")
ARTICLE_EMBEDDINGS = AssetKey("article_embeddings")
TOPIC_CLUSTERS = AssetKey("topic_clusters")
DIVERSIFIED_SAMPLE = AssetKey("diversified_sample")
RAW_ARTICLES, ARTICLE_SUPPLY = warehouse_tables.RAW_ARTICLES.key, warehouse_tables.STAGE_COVERAGE.key

TOPICS_DDL = """
    topic_id INTEGER NOT NULL, label VARCHAR NOT NULL, keywords VARCHAR[], size INTEGER NOT NULL,
    representative_article_id VARCHAR, countries VARCHAR[], languages VARCHAR[],
    label_source VARCHAR, label_failure VARCHAR
"""
ARTICLE_TOPICS_DDL = """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL,
    topic_id INTEGER NOT NULL, topic_label VARCHAR NOT NULL, probability DOUBLE
"""
DIVERSIFIED_SAMPLE_DDL = """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL, topic_id INTEGER NOT NULL,
    topic_label VARCHAR, pub_date TIMESTAMPTZ, summary VARCHAR, sample_rank INTEGER NOT NULL
"""
DIVERSITY_METRICS_DDL = "metric VARCHAR NOT NULL, sample DOUBLE, random_baseline DOUBLE, best_possible DOUBLE"

_CLUSTERING_DEFAULTS = ClusteringSettings()
_SAMPLER_DEFAULTS = SamplerSettings()


class TopicClustersConfig(Config):
    """HDBSCAN and reduction settings (see asknews_assets.topics.clustering); unset sizes scale with the corpus."""

    min_cluster_size: Optional[int] = Field(default=None, ge=2, description="Smallest topic; unset: max(5, sqrt(n)/2).")
    min_samples: Optional[int] = Field(default=None, ge=1, description="HDBSCAN density smoothing; unset: min(5, min_cluster_size).")
    metric: str = _CLUSTERING_DEFAULTS.metric
    cluster_selection_method: str = Field(default=_CLUSTERING_DEFAULTS.cluster_selection_method, description="'leaf' (default: finer topics) or 'eom'.")
    reduction: str = Field(default=_CLUSTERING_DEFAULTS.reduction, description=f"One of {REDUCTIONS}; 'umap' needs umap-learn.")
    n_components: int = Field(default=_CLUSTERING_DEFAULTS.n_components, ge=1)
    seed: int = _CLUSTERING_DEFAULTS.seed
    algorithm: str = _CLUSTERING_DEFAULTS.algorithm
    approx_min_span_tree: bool = _CLUSTERING_DEFAULTS.approx_min_span_tree
    core_dist_n_jobs: int = _CLUSTERING_DEFAULTS.core_dist_n_jobs
    n_keywords: int = Field(default=10, ge=1, description="Keywords kept per topic.")

    def clustering_settings(self) -> ClusteringSettings:
        return ClusteringSettings(**{f.name: getattr(self, f.name) for f in fields(ClusteringSettings)})


class DiversifiedSampleConfig(Config):
    """Sampler settings (see asknews_assets.sample.sampler)."""

    target_size: int = Field(default=_SAMPLER_DEFAULTS.target_size, ge=1, description="Articles wanted; the whole supply if smaller.")
    max_per_topic: Optional[int] = Field(default=_SAMPLER_DEFAULTS.max_per_topic, ge=1, description="Absolute cap per topic.")
    max_topic_share: Optional[float] = Field(
        default=_SAMPLER_DEFAULTS.max_topic_share, gt=0, le=1, description="Cap per topic as a share of the target size."
    )
    near_duplicate_threshold: float = Field(default=_SAMPLER_DEFAULTS.near_duplicate_threshold, gt=0, le=1)
    date_bucket: str = Field(default=_SAMPLER_DEFAULTS.date_bucket, description=f"One of {DATE_BUCKETS}.")
    seed: int = _SAMPLER_DEFAULTS.seed

    def sampler_settings(self) -> SamplerSettings:
        return SamplerSettings(**{f.name: getattr(self, f.name) for f in fields(SamplerSettings)})


def _require_tables(conn, tables: dict[str, AssetKey]) -> None:
    for table, key in tables.items():
        if not table_exists(conn, table):
            raise Failure(f"table {table} does not exist yet: materialise {key.to_user_string()} first")


def read_with_embeddings(conn, query: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of `query` without its `embedding` column, and that column as an n x dim matrix."""
    # Executed, not conn.sql: a lazy relation would be blocked by a result left open on `conn`; and
    # not on a cursor, which is a new connection without the DuckLake catalog as its default.
    table = conn.execute(query).to_arrow_table()
    vectors = table.column("embedding").combine_chunks()
    flat = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    matrix = flat.reshape(len(vectors), -1) if len(vectors) else np.zeros((0, 0), np.float32)
    return table.drop(["embedding"]).to_pandas(), matrix


def _embedding_models(conn) -> list[str]:
    models = conn.execute("SELECT DISTINCT embedding_model || ' (' || embedding_dim || '-d)' FROM article_embeddings").fetchall()
    return sorted(str(model) for (model,) in models)


def _spread_text(spread: tuple[tuple[str, int], ...], shown: int = 5) -> str:
    text = ", ".join(f"{code} {count}" for code, count in spread[:shown])
    return text + (f", +{len(spread) - shown} more" if len(spread) > shown else "")


def _topics_markdown(descriptions: list[TopicDescription], topics: pd.DataFrame) -> MetadataValue:
    label_of = dict(zip(topics["topic_id"], topics["label"]))
    rows = [
        {
            "topic": d.topic_id,
            "label": label_of[d.topic_id],
            "size": d.size,
            "keywords": ", ".join(d.keywords[:8]),
            "countries": _spread_text(d.countries),
            "languages": _spread_text(d.languages),
        }
        for d in sorted(descriptions, key=lambda d: (-d.size, d.topic_id))
    ]
    return md(rows, max_rows=100, width=120)


@asset(
    deps=[ARTICLE_EMBEDDINGS, ARTICLE_SUMMARIES, ARTICLE_SUPPLY],  # the supply's blocking check gates the build
    group_name="topics",
    kinds={"duckdb", "python"},
    tags={"stage": "topics"},
)
def topic_clusters(
    context: AssetExecutionContext, config: TopicClustersConfig, topic_labeler: TopicLabeler, warehouse: Warehouse
) -> MaterializeResult:
    """Topics of every embedded article: HDBSCAN over reduced embeddings, keyworded by class TF-IDF.

    Writes `topics` (one row per topic, with its keywords, representative article and country /
    language spread) and `article_topics` (each article's topic and membership strength). Articles
    HDBSCAN leaves unclustered keep topic_id -1, "no topic", rather than being dropped.
    """
    with warehouse.get_connection() as conn:
        _require_tables(conn, {"article_embeddings": ARTICLE_EMBEDDINGS, "article_summaries": ARTICLE_SUMMARIES})
        # From here on articles are keyed by id across partitions (as the published articleId is).
        if collisions := cross_partition_id_collisions(conn):
            raise Failure(
                f"article ids held by more than one partition: {collisions}; re-materialise raw_articles of those"
                " partitions (ingest rejects an id another partition holds)",
                allow_retries=False,
            )
        coverage = stage_coverage(conn, materialized_partitions(context.instance))
        models = _embedding_models(conn)
        if len(models) > 1:
            raise Failure(f"article_embeddings mixes embedding models {models}: re-materialise every partition with one model")
        articles, embeddings = read_with_embeddings(
            conn,
            """
            SELECT e.article_id, e.country, e.language, s.summary, e.embedding
            FROM article_embeddings e LEFT JOIN article_summaries s USING (country, language, article_id)
            ORDER BY e.country, e.language, e.article_id
            """,
        )

    result = cluster_embeddings(embeddings, config.clustering_settings())
    descriptions = describe_topics(articles, embeddings, result.labels, config.n_keywords)
    to_label = [d for d in descriptions if not d.is_noise]
    labels = topic_labeler.label_topics(to_label, LLMCache(warehouse.get_connection))
    if unlabelled := sorted({d.topic_id for d in to_label} - set(labels)):
        raise Failure(f"topic_labeler ({topic_labeler.backend}) returned no label for topics {unlabelled}")
    topics, article_topics = topic_tables(articles, result.labels, result.probabilities, descriptions, labels)
    label_failures = Counter(label.failure for label in labels.values() if label.failure)
    if label_failures:
        failed = label_failures.total()
        context.log.warning(f"{topic_labeler.backend}: no usable label for {failed} topics, keyword labels kept: {dict(label_failures)}")
    with warehouse.get_connection() as conn:
        replace_table(conn, "topics", TOPICS_DDL, topics)
        replace_table(conn, "article_topics", ARTICLE_TOPICS_DDL, article_topics)
    context.log.info(f"{len(articles)} articles: {result.topic_count} topics, {result.noise_share:.1%} without a topic")

    by_size = topics.sort_values(["size", "topic_id"], ascending=[False, True]).head(40)
    used = result.settings
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(article_topics),
            "topic_count": result.topic_count,
            "noise_share": round(result.noise_share, 4),
            "topic_sizes": bar_plot(
                {f"{row.topic_id}: {row.label[:30]}": row.size for row in by_size.itertuples()},
                title=largest_title("articles per topic", len(by_size), len(topics)),
            ),
            "topics": _topics_markdown(descriptions, topics),
            "embedding_model": ", ".join(models) or "none",
            "reduction": f"{used.reduction} to {used.n_components} components",
            "min_cluster_size": used.min_cluster_size,
            "min_samples": used.min_samples,
            "cluster_selection_method": config.cluster_selection_method,
            **coverage_metadata(coverage),
            "labeler_backend": topic_labeler.backend,
            "labeler_model": topic_labeler.model_name,
            "labeler_prompt_version": topic_labeler.prompt_version or "none (no prompt)",
            "labels_by_source": counts_md(sorted(Counter(label.source for label in labels.values()).items()), "source", "topics"),
            "label_failures": counts_md(sorted(label_failures.items()), "reason", "topics") if label_failures else "none",
            "tables": "topics, article_topics",
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )


def _diversity_plot(comparison: pd.DataFrame) -> MetadataValue:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    positions = np.arange(len(comparison))
    figure, axis = plt.subplots(figsize=(8, 3))
    axis.bar(positions - 0.2, comparison["sample"], width=0.4, label="diversified sample", color="#4c72b0")
    axis.bar(positions + 0.2, comparison["random_baseline"], width=0.4, label="random sample", color="#dd8452")
    axis.set_xticks(positions, comparison["metric"], rotation=30, ha="right", fontsize=8)
    axis.set_ylim(0, 1.05)
    axis.set_title("diversity: sample vs uniform random sample of the same size (largest_topic_share: lower is better)", fontsize=9)
    axis.legend(fontsize=8)
    return png(figure)


@asset(
    deps=[TOPIC_CLUSTERS, ARTICLE_EMBEDDINGS, ARTICLE_SUMMARIES, RAW_ARTICLES],
    group_name="sample",
    kinds={"duckdb", "python"},
    tags={"stage": "sample"},
)
def diversified_sample(context: AssetExecutionContext, config: DiversifiedSampleConfig, warehouse: Warehouse) -> MaterializeResult:
    """The articles to annotate: spread over topics, countries, languages and dates, without near-duplicates.

    Round-robin over the topics ("no topic" included, but never capped) with a cap per topic that
    rises evenly when the target cannot be met under it, preferring within a topic the countries,
    languages and publication days the sample holds least; deterministic for a seed. A sample short
    of its target says by how much and why (`shortfall`, `shortfall_reason`). `diversity_metrics` sets the sample's diversity beside a uniform random sample of the
    same size from the same supply (and the best any sample could do).
    """
    with warehouse.get_connection() as conn:
        _require_tables(
            conn,
            {
                "article_topics": TOPIC_CLUSTERS,
                "article_embeddings": ARTICLE_EMBEDDINGS,
                "article_summaries": ARTICLE_SUMMARIES,
                "raw_articles": RAW_ARTICLES,
            },
        )
        supply, embeddings = read_with_embeddings(
            conn,
            """
            SELECT t.article_id, t.country, t.language, t.topic_id, t.topic_label, r.pub_date, s.summary, e.embedding
            FROM article_topics t
            JOIN article_embeddings e USING (country, language, article_id)
            LEFT JOIN article_summaries s USING (country, language, article_id)
            LEFT JOIN raw_articles r USING (country, language, article_id)
            ORDER BY t.country, t.language, t.article_id
            """,
        )
        coverage = stage_coverage(conn, materialized_partitions(context.instance))

    settings = config.sampler_settings()
    result = select_diverse_sample(supply, embeddings, settings)
    sample = supply.iloc[result.rows].reset_index(drop=True)
    sample["sample_rank"] = np.arange(1, len(sample) + 1)
    baseline = supply.iloc[random_sample(supply, len(sample), settings.seed)]
    comparison = compare_to_baseline(
        diversity_metrics(sample, supply), diversity_metrics(baseline, supply), best_possible_metrics(supply, len(sample))
    )
    with warehouse.get_connection() as conn:
        replace_table(conn, "diversified_sample", DIVERSIFIED_SAMPLE_DDL, sample)
        replace_table(conn, "diversity_metrics", DIVERSITY_METRICS_DDL, comparison[["metric", "sample", "random_baseline", "best_possible"]])
    context.log.info(
        f"sampled {len(sample)} of {len(supply)} articles (target {result.requested_size}, cap {result.final_topic_cap} per topic, "
        f"{result.near_duplicates_skipped} near-duplicates skipped)"
    )
    if result.shortfall:
        context.log.warning(f"the sample is {result.shortfall} articles short of its target {result.requested_size}: {result.shortfall_reason}")

    topic_counts = sample.groupby(["topic_id", "topic_label"]).size().sort_values(ascending=False)
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(sample),
            "supply": len(supply),
            "target_size": result.requested_size,
            "shortfall": result.shortfall,
            "shortfall_reason": result.shortfall_reason or "none",
            "topic_cap": result.topic_cap,
            "topic_cap_applied": result.final_topic_cap,
            "near_duplicate_threshold": settings.near_duplicate_threshold,
            "near_duplicates_skipped": result.near_duplicates_skipped,
            "seed": settings.seed,
            # Counted as topic_clusters counts them: "no topic" (noise) is not a topic.
            "topics": int(sample.loc[sample["topic_id"] != NOISE, "topic_id"].nunique()),
            "no_topic_articles": int((sample["topic_id"] == NOISE).sum()),
            "countries": int(sample["country"].nunique()),
            "languages": int(sample["language"].nunique()),
            "diversity": md(comparison.round(4), max_rows=20),
            "diversity_plot": _diversity_plot(comparison),
            "articles_per_topic": bar_plot(
                {f"{topic}: {label[:30]}": int(n) for (topic, label), n in topic_counts.head(40).items()},
                title=largest_title("sampled articles per topic", min(40, len(topic_counts)), len(topic_counts)),
            ),
            "preview": md(sample[["sample_rank", "article_id", "country", "language", "topic_label", "summary"]], width=120),
            **coverage_metadata(coverage),
            "tables": "diversified_sample, diversity_metrics",
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )
