"""topics.build: clustered, described and labelled articles become the topic tables and statistics."""

import numpy as np
import pandas as pd
import pytest

from asknews_assets.topics.build import SHOWN_TOPICS, UnlabelledTopics, build_topics, spread_text
from asknews_assets.topics.clustering import NOISE, ClusteringSettings
from asknews_assets.topics.describe import NOISE_LABEL, TopicLabel

WORDS = {0: "reservoir water rationing", 1: "dengue vaccine clinic", 2: "olympic medal stadium"}
SIZES = {0: 14, 1: 10, 2: 8}


def corpus(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well separated themes of 14, 10 and 8 articles, and two outliers."""
    rng = np.random.default_rng(seed)
    centres = 10 * np.eye(3, 16)
    rows, vectors = [], []
    for theme, size in SIZES.items():
        for i in range(size):
            country = "US" if i % 2 else "FR"
            rows.append({"article_id": f"t{theme}-{i:02d}", "country": country, "language": "en", "summary": f"Officials on {WORDS[theme]}."})
            vectors.append(centres[theme] + 0.05 * rng.standard_normal(16))
    for i in range(2):
        rows.append({"article_id": f"odd-{i}", "country": "BR", "language": "pt", "summary": "Many things happened."})
        vectors.append(-10 * (i + 1) * np.ones(16) / 4)
    return pd.DataFrame(rows), np.asarray(vectors, dtype=np.float32)


class Labeler:
    backend = "test"

    def __init__(self, skip: int | None = None, fail: int | None = None):
        self.skip, self.fail, self.labelled = skip, fail, []

    def label_topics(self, topics):
        self.labelled = [t.topic_id for t in topics]
        return {
            t.topic_id: TopicLabel(t.keywords[0], "keywords", "refusal") if t.topic_id == self.fail else TopicLabel(f"topic of {t.representative_article_id}", "test")
            for t in topics
            if t.topic_id != self.skip
        }  # fmt: skip


SETTINGS = ClusteringSettings(min_cluster_size=5, min_samples=2, n_components=4)


def test_the_tables_and_statistics_of_three_topics():
    articles, embeddings = corpus()
    labeler = Labeler(fail=2)
    built = build_topics(articles, embeddings, SETTINGS, 5, labeler)
    assert sorted(labeler.labelled) == sorted(set(built.topics["topic_id"]) - {NOISE})
    assert built.clustering.topic_count == 3 and len(built.article_topics) == len(articles)
    assert sorted(built.topics["size"]) == sorted([*SIZES.values(), len(articles) - sum(SIZES.values())])
    assert built.topics.loc[built.topics["topic_id"] == NOISE, "label"].tolist() == [NOISE_LABEL]
    # Largest first, in the overview and in the plotted sizes; the labels are those stored.
    assert [row["size"] for row in built.overview] == sorted((row["size"] for row in built.overview), reverse=True)
    assert list(built.sizes.values()) == [row["size"] for row in built.overview][:SHOWN_TOPICS]
    stored = dict(zip(built.topics["topic_id"], built.topics["label"]))
    assert all(stored[row["topic"]] == row["label"] for row in built.overview)
    assert all(key == f"{topic}: {stored[topic][:30]}" for key, topic in zip(built.sizes, (row["topic"] for row in built.overview)))
    # One topic's label failed: it is counted, and its source kept beside the others'.
    assert dict(built.label_failures) == {"refusal": 1}
    assert built.labels_by_source == [("keywords", 1), ("test", 2)]
    assert built.statistics == {
        "topic_count": 3, "noise_share": round(2 / len(articles), 4), "reduction": "pca to 4 components",
        "min_cluster_size": 5, "min_samples": 2, "cluster_selection_method": "leaf",
    }  # fmt: skip


def test_a_topic_the_labeler_leaves_unnamed_is_refused():
    articles, embeddings = corpus()
    with pytest.raises(UnlabelledTopics, match=r"topic_labeler \(test\) returned no label for topics \[1\]"):
        build_topics(articles, embeddings, SETTINGS, 5, Labeler(skip=1))


def test_spread_text_shows_the_five_most_frequent_codes():
    assert spread_text((("US", 12), ("FR", 3))) == "US 12, FR 3"
    assert spread_text(tuple((f"C{i}", 9 - i) for i in range(7))) == "C0 9, C1 8, C2 7, C3 6, C4 5, +2 more"
