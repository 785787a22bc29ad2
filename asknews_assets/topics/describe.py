"""What each topic is: keywords, a representative article, and where its articles come from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from asknews_assets.topics.clustering import NOISE
from asknews_assets.topics.keywords import class_tfidf_keywords

NOISE_LABEL = "no topic"
NOISE_LABEL_SOURCE = "fixed"


@dataclass(frozen=True)
class TopicDescription:
    """Everything a labeler may use to name a topic."""

    topic_id: int
    size: int
    keywords: tuple[str, ...]
    representative_article_id: str
    representative_summary: str
    countries: tuple[tuple[str, int], ...]  # (code, articles), most frequent first
    languages: tuple[tuple[str, int], ...]

    @property
    def is_noise(self) -> bool:
        return self.topic_id == NOISE


@dataclass(frozen=True)
class TopicLabel:
    """A topic's label, which backend gave it, and why the configured backend's own label is missing."""

    label: str
    source: str  # 'keywords', 'llm', ...
    failure: str | None = None


def spread(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """(value, count) pairs, most frequent first, ties alphabetical."""
    return tuple(sorted(Counter(values).items(), key=lambda item: (-item[1], item[0])))


def representative_rows(embeddings: np.ndarray, labels: np.ndarray) -> dict[int, int]:
    """Row of the article closest (by cosine) to its topic's centroid, for every topic id."""
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    representatives = {}
    for topic in np.unique(labels):
        rows = np.flatnonzero(labels == topic)
        centroid = unit[rows].mean(axis=0)
        representatives[int(topic)] = int(rows[np.argmax(unit[rows] @ centroid)])
    return representatives


def describe_topics(articles: pd.DataFrame, embeddings: np.ndarray, labels: np.ndarray, n_keywords: int = 10) -> list[TopicDescription]:
    """One description per topic id in `labels` (noise included), ordered by topic id.

    `articles` has the columns article_id, country, language and summary, one row per row of
    `embeddings` and `labels`.
    """
    summaries = articles["summary"].fillna("").astype(str).tolist()
    keywords = class_tfidf_keywords(summaries, labels.tolist(), top_n=n_keywords)
    representatives = representative_rows(embeddings, labels)
    descriptions = []
    for topic, row in sorted(representatives.items()):
        members = articles[labels == topic]
        descriptions.append(
            TopicDescription(
                topic_id=topic,
                size=len(members),
                keywords=tuple(keywords[topic]),
                representative_article_id=str(articles["article_id"].iat[row]),
                representative_summary=summaries[row],
                countries=spread(members["country"]),
                languages=spread(members["language"]),
            )
        )
    return descriptions


def keyword_label(keywords: Iterable[str], n_keywords: int = 3) -> str:
    """The default label: the topic's top keywords, e.g. 'water, rationing, summit'."""
    return ", ".join(list(keywords)[:n_keywords]) or "unlabelled topic"


def topic_tables(
    articles: pd.DataFrame,
    labels: np.ndarray,
    probabilities: np.ndarray,
    descriptions: list[TopicDescription],
    topic_labels: Mapping[int, TopicLabel],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the `topics` and `article_topics` tables. Noise is always labelled NOISE_LABEL."""
    noise = TopicLabel(NOISE_LABEL, NOISE_LABEL_SOURCE)
    label_of = {d.topic_id: noise if d.is_noise else topic_labels[d.topic_id] for d in descriptions}
    topics = pd.DataFrame(
        [
            {
                "topic_id": d.topic_id,
                "label": label_of[d.topic_id].label,
                "keywords": list(d.keywords),
                "size": d.size,
                "representative_article_id": d.representative_article_id,
                "countries": [code for code, _ in d.countries],
                "languages": [code for code, _ in d.languages],
                "label_source": label_of[d.topic_id].source,
                "label_failure": label_of[d.topic_id].failure,
            }
            for d in descriptions
        ],
        columns=[
            "topic_id", "label", "keywords", "size", "representative_article_id", "countries", "languages",
            "label_source", "label_failure",
        ],
    )
    article_topics = pd.DataFrame(
        {
            "article_id": articles["article_id"].to_numpy(),
            "country": articles["country"].to_numpy(),
            "language": articles["language"].to_numpy(),
            "topic_id": labels.astype(np.int64),
            "topic_label": [label_of[int(topic)].label for topic in labels],
            "probability": probabilities.astype(np.float64),
        }
    )
    return topics, article_topics
