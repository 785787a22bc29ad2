"""The sample stage: the diversified sample of articles to annotate, drawn across the topics
(unpartitioned: it reads every country x language partition of its inputs)."""

from dataclasses import fields
from typing import Optional

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets.metadata import bar_plot, largest_title, md, png
from asknews_assets.sample.draw import diversity_figure, draw_sample
from asknews_assets.sample.sampler import DATE_BUCKETS, SamplerSettings
from asknews_assets.supply import coverage_metadata, materialized_partitions, stage_coverage
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse

INPUTS = tables.Inputs(tables.ARTICLE_TOPICS, tables.ARTICLE_EMBEDDINGS, tables.ARTICLE_SUMMARIES, tables.RAW_ARTICLES)
_SAMPLER_DEFAULTS = SamplerSettings()


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


@asset(deps=INPUTS.deps, group_name="sample", kinds={"duckdb", "python"}, tags={"stage": "sample"})
def diversified_sample(context: AssetExecutionContext, config: DiversifiedSampleConfig, warehouse: Warehouse) -> MaterializeResult:
    """The articles to annotate: spread over topics, countries, languages and dates, without near-duplicates.

    Round-robin over the topics ("no topic" included, but never capped) with a cap per topic that
    rises evenly when the target cannot be met under it, preferring within a topic the countries,
    languages and publication days the sample holds least; deterministic for a seed. A sample short
    of its target says by how much and why (`shortfall`, `shortfall_reason`). `diversity_metrics` sets the sample's diversity beside a uniform random sample of the
    same size from the same supply (and the best any sample could do).
    """
    with INPUTS.open(warehouse) as conn:
        supply, embeddings = _supply(conn)
        coverage = stage_coverage(conn, materialized_partitions(context.instance))
    drawn = draw_sample(supply, embeddings, config.sampler_settings())
    sample, result = drawn.sample, drawn.result
    with warehouse.get_connection() as conn:
        tables.DIVERSIFIED_SAMPLE.replace(conn, sample)
        tables.DIVERSITY_METRICS.replace(conn, drawn.metrics)
    context.log.info(
        f"sampled {len(sample)} of {len(supply)} articles (target {result.requested_size}, cap {result.final_topic_cap} per topic, "
        f"{result.near_duplicates_skipped} near-duplicates skipped)"
    )
    if result.shortfall:
        context.log.warning(f"the sample is {result.shortfall} articles short of its target {result.requested_size}: {result.shortfall_reason}")

    return MaterializeResult(
        metadata={
            "dagster/row_count": len(sample),
            **drawn.statistics,
            "diversity": md(drawn.comparison.round(4), max_rows=20),
            "diversity_plot": png(diversity_figure(drawn.comparison)),
            "articles_per_topic": bar_plot(
                drawn.per_topic, title=largest_title("sampled articles per topic", len(drawn.per_topic), drawn.topics_sampled)
            ),
            "preview": md(sample[["sample_rank", "article_id", "country", "language", "topic_label", "summary"]], width=120),
            **coverage_metadata(coverage),
            "tables": f"{tables.DIVERSIFIED_SAMPLE}, {tables.DIVERSITY_METRICS}",
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )


def _supply(conn) -> tuple[pd.DataFrame, np.ndarray]:
    """Every topic-assigned, embedded article with its topic, publication date and summary, and its embedding."""
    return readers.read_with_embeddings(
        conn,
        f"""
        SELECT t.article_id, t.country, t.language, t.topic_id, t.topic_label, r.pub_date, s.summary, e.embedding
        FROM {tables.ARTICLE_TOPICS} t
        JOIN {tables.ARTICLE_EMBEDDINGS} e USING (country, language, article_id)
        LEFT JOIN {tables.ARTICLE_SUMMARIES} s USING (country, language, article_id)
        LEFT JOIN {tables.RAW_ARTICLES} r USING (country, language, article_id)
        ORDER BY t.country, t.language, t.article_id
        """,
    )
