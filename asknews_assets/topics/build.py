"""Topics of every embedded article, as the rows of `topics` and `article_topics` and what the
topic_clusters asset records about them.

Clustered (`clustering`), described (`describe`), then labelled by a labeller (keywords or an LLM,
`resources.topics`) that must name every topic; "no topic" (noise) keeps its fixed label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from asknews_assets.topics.clustering import ClusteringSettings, ClusterResult, cluster_embeddings
from asknews_assets.topics.describe import TopicDescription, TopicLabel, describe_topics, topic_tables

SHOWN_TOPICS = 40  # bars of the topic-size plot


class UnlabelledTopics(ValueError):
    """The labeller returned no label for some topics."""


class TopicLabelBackend(Protocol):
    """What labelling needs of a labeller (the `TopicLabeler` resources are one)."""

    @property
    def backend(self) -> str: ...

    def label_topics(self, topics: Sequence[TopicDescription]) -> dict[int, TopicLabel]: ...


@dataclass(frozen=True)
class BuiltTopics:
    topics: pd.DataFrame  # rows of `topics`
    article_topics: pd.DataFrame  # rows of `article_topics`
    clustering: ClusterResult
    overview: list[dict[str, Any]]  # one row per topic, largest first: label, size, keywords, spread
    sizes: dict[str, int]  # articles of the SHOWN_TOPICS largest topics, by "id: label"
    labels_by_source: list[tuple[str, int]]
    label_failures: Counter[str]  # topics whose label could not be used, by reason
    statistics: dict[str, Any]  # topic count, share without a topic, the clustering settings used


def spread_text(spread: tuple[tuple[str, int], ...], shown: int = 5) -> str:
    """'US 12, FR 3, +4 more': the most frequent codes of a topic's spread."""
    text = ", ".join(f"{code} {count}" for code, count in spread[:shown])
    return text + (f", +{len(spread) - shown} more" if len(spread) > shown else "")


def topic_overview(descriptions: list[TopicDescription], topics: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per topic, largest first, with its stored label."""
    label_of = dict(zip(topics["topic_id"], topics["label"]))
    return [
        {
            "topic": d.topic_id,
            "label": label_of[d.topic_id],
            "size": d.size,
            "keywords": ", ".join(d.keywords[:8]),
            "countries": spread_text(d.countries),
            "languages": spread_text(d.languages),
        }
        for d in sorted(descriptions, key=lambda d: (-d.size, d.topic_id))
    ]


def build_topics(
    articles: pd.DataFrame,
    embeddings: np.ndarray,
    settings: ClusteringSettings,
    n_keywords: int,
    labeler: TopicLabelBackend,
) -> BuiltTopics:
    """Cluster, describe and label the articles (columns article_id, country, language, summary; one
    row per row of `embeddings`). Raises UnlabelledTopics when the labeller leaves a topic unnamed."""
    result = cluster_embeddings(embeddings, settings)
    descriptions = describe_topics(articles, embeddings, result.labels, n_keywords)
    to_label = [d for d in descriptions if not d.is_noise]
    labels = labeler.label_topics(to_label)
    if unlabelled := sorted({d.topic_id for d in to_label} - set(labels)):
        raise UnlabelledTopics(f"topic_labeler ({labeler.backend}) returned no label for topics {unlabelled}")
    topics, article_topics = topic_tables(articles, result.labels, result.probabilities, descriptions, labels)
    by_size = topics.sort_values(["size", "topic_id"], ascending=[False, True]).head(SHOWN_TOPICS)
    used = result.settings
    return BuiltTopics(
        topics=topics,
        article_topics=article_topics,
        clustering=result,
        overview=topic_overview(descriptions, topics),
        sizes={f"{row.topic_id}: {row.label[:30]}": row.size for row in by_size.itertuples()},
        labels_by_source=sorted(Counter(label.source for label in labels.values()).items()),
        label_failures=Counter(label.failure for label in labels.values() if label.failure),
        statistics={
            "topic_count": result.topic_count,
            "noise_share": round(result.noise_share, 4),
            "reduction": f"{used.reduction} to {used.n_components} components",
            "min_cluster_size": used.min_cluster_size,
            "min_samples": used.min_samples,
            "cluster_selection_method": settings.cluster_selection_method,
        },
    )
