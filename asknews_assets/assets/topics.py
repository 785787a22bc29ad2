"""The topics stage: topics over every embedded article (unpartitioned: it reads every country x
language partition of its inputs)."""

from dataclasses import fields
from typing import Optional

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets.metadata import bar_plot, counts_md, largest_title, md
from asknews_assets.resources.topics import TopicLabeler
from asknews_assets.supply import coverage_metadata, materialized_partitions, stage_coverage
from asknews_assets.topics.build import UnlabelledTopics, build_topics
from asknews_assets.topics.clustering import REDUCTIONS, ClusteringSettings
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse

# raw_articles: read for the article-id collisions that stop clustering.
INPUTS = tables.Inputs(tables.ARTICLE_EMBEDDINGS, tables.ARTICLE_SUMMARIES, optional=(tables.RAW_ARTICLES,))
_CLUSTERING_DEFAULTS = ClusteringSettings()


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


@asset(
    deps=[*INPUTS.deps, tables.STAGE_COVERAGE.key],  # article_supply: its blocking check gates the build
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
    with INPUTS.open(warehouse) as conn:
        articles, embeddings, models = _embedded_articles(conn)
        coverage = stage_coverage(conn, materialized_partitions(context.instance))
    try:
        built = build_topics(
            articles, embeddings, config.clustering_settings(), config.n_keywords, topic_labeler
        )
    except UnlabelledTopics as error:
        raise Failure(str(error)) from error
    if failures := built.label_failures:
        context.log.warning(f"{topic_labeler.backend}: no usable label for {failures.total()} topics, keyword labels kept: {dict(failures)}")
    with warehouse.get_connection() as conn:
        tables.TOPICS.replace(conn, built.topics)
        tables.ARTICLE_TOPICS.replace(conn, built.article_topics)
    statistics = built.statistics
    context.log.info(f"{len(articles)} articles: {statistics['topic_count']} topics, {built.clustering.noise_share:.1%} without a topic")

    return MaterializeResult(
        metadata={
            "dagster/row_count": len(built.article_topics),
            **statistics,
            "topic_sizes": bar_plot(built.sizes, title=largest_title("articles per topic", len(built.sizes), len(built.topics))),
            "topics": md(built.overview, max_rows=100, width=120),
            "embedding_model": ", ".join(models) or "none",
            **coverage_metadata(coverage),
            "labeler_backend": topic_labeler.backend,
            "labeler_model": topic_labeler.model_name,
            "labeler_prompt_version": topic_labeler.prompt_version or "none (no prompt)",
            "labels_by_source": counts_md(built.labels_by_source, "source", "topics"),
            "label_failures": counts_md(sorted(failures.items()), "reason", "topics") if failures else "none",
            "tables": f"{tables.TOPICS}, {tables.ARTICLE_TOPICS}",
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )


def _embedded_articles(conn) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Every embedded article (id, country, language, summary), its embedding, and the embedding
    model; refuses article ids held by two partitions and embeddings of two models."""
    # From here on articles are keyed by id across partitions (as the published articleId is).
    if collisions := readers.cross_partition_id_collisions(conn):
        raise Failure(
            f"article ids held by more than one partition: {collisions}; re-materialise {tables.RAW_ARTICLES.asset} of those"
            " partitions (ingest rejects an id another partition holds)",
            allow_retries=False,
        )
    models = readers.embedding_models(conn)
    if len(models) > 1:
        raise Failure(f"{tables.ARTICLE_EMBEDDINGS} mixes embedding models {models}: re-materialise every partition with one model")
    articles, embeddings = readers.read_with_embeddings(
        conn,
        f"""
        SELECT e.article_id, e.country, e.language, s.summary, e.embedding
        FROM {tables.ARTICLE_EMBEDDINGS} e LEFT JOIN {tables.ARTICLE_SUMMARIES} s USING (country, language, article_id)
        ORDER BY e.country, e.language, e.article_id
        """,
    )
    return articles, embeddings, models
