"""Reduction + HDBSCAN on synthetic mixtures whose topics are known."""

import importlib.util

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from asknews_assets.topics.clustering import (
    NOISE,
    ClusteringSettings,
    ClusteringUnavailable,
    cluster_embeddings,
    default_min_cluster_size,
)


def topic_mixture(sizes: list[int], dim: int = 384, spread: float = 0.045, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit-length gaussian blobs around random topic directions; returns (embeddings, topic of each row)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((len(sizes), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = np.repeat(np.arange(len(sizes)), sizes)
    points = centres[truth] + spread * rng.standard_normal((len(truth), dim))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32), truth


def test_a_small_mixture_of_five_topics_is_recovered():
    embeddings, truth = topic_mixture([60, 50, 40, 40, 30])
    result = cluster_embeddings(embeddings)
    assert result.topic_count == 5
    assert adjusted_rand_score(truth, result.labels) > 0.9  # noise counted as its own label


def test_defaults_fit_a_corpus_the_size_of_the_sample_corpus():
    # ~150 articles over 10 themes of uneven size, as in the bundled sample corpus.
    embeddings, truth = topic_mixture([24, 20, 18, 16, 15, 14, 13, 12, 10, 8], seed=3)
    result = cluster_embeddings(embeddings)
    assert result.settings.min_cluster_size == 6
    assert 8 <= result.topic_count <= 11
    assert adjusted_rand_score(truth, result.labels) > 0.8


def test_outliers_are_kept_as_noise_not_dropped():
    embeddings, _ = topic_mixture([50, 50, 50])
    outliers = np.random.default_rng(1).standard_normal((6, embeddings.shape[1])).astype(np.float32)
    outliers /= np.linalg.norm(outliers, axis=1, keepdims=True)
    result = cluster_embeddings(np.vstack([embeddings, outliers]))
    assert len(result.labels) == 156
    assert (result.labels[-6:] == NOISE).sum() >= 5
    assert np.all(result.probabilities[result.labels == NOISE] == 0)
    assert 0 < result.noise_share < 0.1


def test_clustering_is_deterministic():
    embeddings, _ = topic_mixture([40, 40, 40], seed=5)
    first, second = cluster_embeddings(embeddings), cluster_embeddings(embeddings)
    assert np.array_equal(first.labels, second.labels)
    assert np.allclose(first.probabilities, second.probabilities)


def test_too_few_articles_for_a_topic_are_all_noise():
    embeddings, _ = topic_mixture([3])
    result = cluster_embeddings(embeddings)
    assert result.labels.tolist() == [NOISE] * 3
    assert result.topic_count == 0 and result.noise_share == 1.0


def test_minimum_sizes_scale_with_the_corpus():
    assert default_min_cluster_size(150) == 6
    assert default_min_cluster_size(20) == 5
    assert default_min_cluster_size(100_000) == 158
    settings = ClusteringSettings(min_cluster_size=40).resolved(100_000)
    assert (settings.min_cluster_size, settings.min_samples) == (40, 5)


def test_explicit_settings_are_used():
    embeddings, _ = topic_mixture([60, 60], seed=2)
    result = cluster_embeddings(embeddings, ClusteringSettings(min_cluster_size=30, min_samples=5, n_components=3))
    assert (result.settings.min_cluster_size, result.settings.min_samples, result.settings.n_components) == (30, 5, 3)
    assert result.topic_count == 2


def test_an_unknown_reduction_names_the_setting():
    embeddings, _ = topic_mixture([30, 30])
    with pytest.raises(ValueError, match="reduction"):
        cluster_embeddings(embeddings, ClusteringSettings(reduction="tsne"))


@pytest.mark.skipif(importlib.util.find_spec("umap") is not None, reason="umap-learn is installed here")
def test_umap_without_umap_learn_is_a_clear_error():
    embeddings, _ = topic_mixture([30, 30])
    with pytest.raises(ClusteringUnavailable, match="reduction='umap'.*umap-learn"):
        cluster_embeddings(embeddings, ClusteringSettings(reduction="umap"))
