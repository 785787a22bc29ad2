"""sample.draw: the diversified sample's rows, its metrics beside a random baseline, and its statistics."""

import numpy as np
import pandas as pd

from asknews_assets.sample.draw import METRIC_COLUMNS, diversity_figure, draw_sample
from asknews_assets.sample.sampler import SamplerSettings, select_diverse_sample
from asknews_assets.topics.clustering import NOISE


def supply(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Topics 0-2 and "no topic", five countries, two languages; distinct random embeddings."""
    rng = np.random.default_rng(seed)
    topics = [NOISE if i % 4 == 3 else i % 4 for i in range(n)]
    frame = pd.DataFrame(
        {
            "article_id": [f"a{i:03d}" for i in range(n)],
            "country": [["US", "FR", "BR", "DE", "IN"][i % 5] for i in range(n)],
            "language": [["en", "fr"][i % 2] for i in range(n)],
            "topic_id": topics,
            "topic_label": ["no topic" if t == NOISE else f"topic {t}" for t in topics],
            "pub_date": pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta([i % 7 for i in range(n)], unit="D"),
            "summary": [f"Summary {i}." for i in range(n)],
        }
    )
    embeddings = rng.standard_normal((n, 32)).astype(np.float32)
    return frame, embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)


def test_the_sample_rows_are_the_sampler_picks_ranked_in_order():
    articles, embeddings = supply()
    settings = SamplerSettings(target_size=20, max_topic_share=0.25, seed=3)
    drawn = draw_sample(articles, embeddings, settings)
    picks = select_diverse_sample(articles, embeddings, settings).rows
    assert drawn.sample["article_id"].tolist() == articles["article_id"].iloc[picks].tolist()
    assert drawn.sample["sample_rank"].tolist() == list(range(1, 21))
    assert list(drawn.sample.columns) == [*articles.columns, "sample_rank"]
    assert drawn.result.requested_size == 20 and drawn.result.shortfall == 0


def test_metrics_and_statistics_describe_the_sample():
    articles, embeddings = supply()
    drawn = draw_sample(articles, embeddings, SamplerSettings(target_size=20, max_topic_share=0.25))
    assert list(drawn.metrics.columns) == METRIC_COLUMNS and len(drawn.metrics) == len(drawn.comparison)
    assert {"verdict", "beatable"} <= set(drawn.comparison.columns)
    sample = drawn.sample
    # "no topic" is not counted as a topic, as topic_clusters counts them.
    assert drawn.statistics == {
        "supply": 60, "target_size": 20, "shortfall": 0, "shortfall_reason": "none", "topic_cap": 5,
        "topic_cap_applied": drawn.result.final_topic_cap, "near_duplicate_threshold": 0.95,
        "near_duplicates_skipped": 0, "seed": 0,
        "topics": 3,
        "no_topic_articles": int((sample["topic_id"] == NOISE).sum()),
        "countries": sample["country"].nunique(),
        "languages": 2,
    }
    assert drawn.statistics["no_topic_articles"] > 0
    assert drawn.topics_sampled == 4 and sum(drawn.per_topic.values()) == 20
    assert set(drawn.per_topic) == {"0: topic 0", "1: topic 1", "2: topic 2", f"{NOISE}: no topic"}


def test_the_diversity_figure_has_a_bar_per_metric_for_sample_and_baseline():
    import matplotlib.pyplot as plt

    articles, embeddings = supply()
    drawn = draw_sample(articles, embeddings, SamplerSettings(target_size=20))
    figure = diversity_figure(drawn.comparison)
    (axis,) = figure.axes
    assert len(axis.patches) == 2 * len(drawn.comparison)
    assert [t.get_text() for t in axis.get_xticklabels()] == drawn.comparison["metric"].tolist()
    plt.close(figure)
