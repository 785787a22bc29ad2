"""The diversified sample of a supply of topic-assigned articles, as the rows of `diversified_sample`
and `diversity_metrics` and what the diversified_sample asset records about it.

The sample (`sampler`) is set beside a uniform random sample of the same size from the same supply
and the best any sample could do (`diversity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from asknews_assets.sample.diversity import best_possible_metrics, compare_to_baseline, diversity_metrics
from asknews_assets.sample.sampler import SampleResult, SamplerSettings, random_sample, select_diverse_sample
from asknews_assets.topics.clustering import NOISE

SHOWN_TOPICS = 40  # bars of the articles-per-topic plot
METRIC_COLUMNS = ["metric", "sample", "random_baseline", "best_possible"]  # what diversity_metrics stores


@dataclass(frozen=True)
class DrawnSample:
    sample: pd.DataFrame  # rows of `diversified_sample`: the supply's columns and sample_rank
    comparison: pd.DataFrame  # per metric: sample, random baseline, best possible, verdict
    result: SampleResult
    statistics: dict[str, Any]  # the target and how it was met, the settings, the sample's spread
    per_topic: dict[str, int]  # articles of the SHOWN_TOPICS largest topics, by "id: label"
    topics_sampled: int  # topics in the sample, "no topic" included (the plot's total)

    @property
    def metrics(self) -> pd.DataFrame:
        """The rows of `diversity_metrics`."""
        return self.comparison[METRIC_COLUMNS]


def draw_sample(supply: pd.DataFrame, embeddings: np.ndarray, settings: SamplerSettings) -> DrawnSample:
    """The diversified sample of `supply` (one row per row of `embeddings`; columns article_id,
    country, language, topic_id, topic_label, pub_date, summary), ranked in the order taken."""
    result = select_diverse_sample(supply, embeddings, settings)
    sample = supply.iloc[result.rows].reset_index(drop=True)
    sample["sample_rank"] = np.arange(1, len(sample) + 1)
    baseline = supply.iloc[random_sample(supply, len(sample), settings.seed)]
    comparison = compare_to_baseline(
        diversity_metrics(sample, supply), diversity_metrics(baseline, supply), best_possible_metrics(supply, len(sample))
    )
    topic_counts = sample.groupby(["topic_id", "topic_label"]).size().sort_values(ascending=False)
    statistics = {
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
    }
    return DrawnSample(
        sample=sample,
        comparison=comparison,
        result=result,
        statistics=statistics,
        per_topic={f"{topic}: {label[:30]}": int(n) for (topic, label), n in topic_counts.head(SHOWN_TOPICS).items()},
        topics_sampled=len(topic_counts),
    )


def diversity_figure(comparison: pd.DataFrame) -> Any:
    """Bars of each metric for the sample and the random baseline (a matplotlib figure)."""
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
    return figure
