"""Topic clustering: a dimensionality reduction, then HDBSCAN.

HDBSCAN finds clusters of varying density without being told how many there are, and leaves
points that belong nowhere as noise (label -1) instead of forcing them into a topic. Its cost grows
quickly with the dimension (space trees stop pruning), so the 384-d sentence embeddings are first
reduced to a handful of components: PCA by default (deterministic, fast at 100k rows), UMAP when
umap-learn is installed and asked for.

Defaults (benchmarks/clustering.py measures them): 15 PCA components and 'leaf' cluster selection.
With dozens of topics squeezed into 15 linear components, neighbouring topics form long-lived
groups, and HDBSCAN's default 'eom' selection then returns the groups (50 synthetic topics came
out as ~20); 'leaf' returns the topics themselves, at the price of a little more noise. On ~150
real articles both selections agree. 20 components leave less noise on the synthetic benchmark
but cost ~1.5x the time and did worse on the real sample corpus.

On a realistic skewed feed (benchmarks/skewed_feed.py: ~1,600 articles, one dominant outlet, 36 or
150 stories of Zipf-like sizes) the defaults leave 21% / 15% of the articles as noise, with no
topic made of feed boilerplate and an ARI of 0.36 / 0.41 against the stories. A smaller
min_cluster_size (8-10) raised the noise there and lowered the ARI; 'eom' reached ARI 0.73 / 0.58
with 6% / 3% noise but merges neighbouring topics of the 50-topic benchmark, so 'leaf' stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

NOISE = -1
REDUCTIONS = ("pca", "umap", "none")


class ClusteringUnavailable(RuntimeError):
    """A configured option needs something that is not installed."""


@dataclass(frozen=True)
class ClusteringSettings:
    """Parameters of `cluster_embeddings`; None means "derived from the number of articles"."""

    min_cluster_size: int | None = None
    min_samples: int | None = None
    metric: str = "euclidean"
    cluster_selection_method: str = "leaf"
    reduction: str = "pca"
    n_components: int = 15
    seed: int = 0
    # hdbscan's speed settings. 'best' runs Borůvka on a kd-tree for euclidean data of up to 60
    # dimensions (the reduced embeddings), with an approximate spanning tree: the fast route at 100k
    # rows; -1 computes core distances on every core.
    algorithm: str = "best"
    approx_min_span_tree: bool = True
    core_dist_n_jobs: int = -1

    def resolved(self, n_articles: int) -> ClusteringSettings:
        """Fill in the sizes left to the data: they scale with sqrt(n) so that ~150 articles give
        topics of a handful of articles and 100k articles give topics of a few hundred."""
        min_cluster_size = self.min_cluster_size or default_min_cluster_size(n_articles)
        min_samples = self.min_samples or default_min_samples(min_cluster_size)
        return replace(self, min_cluster_size=min_cluster_size, min_samples=min_samples)


def default_min_cluster_size(n_articles: int) -> int:
    return max(5, round(math.sqrt(n_articles) / 2))


def default_min_samples(min_cluster_size: int) -> int:
    # Far below min_cluster_size (HDBSCAN's default), which labels many more articles as noise.
    # Not lower than 5: at 3, an exact duplicate pair was enough to split a 30-article topic into
    # two small 'leaf' clusters and noise.
    return min(min_cluster_size, 5)


@dataclass(frozen=True)
class ClusterSettingsUsed:
    """What actually ran, after defaults were derived and the components clamped to the data."""

    min_cluster_size: int
    min_samples: int
    n_components: int
    reduction: str


@dataclass(frozen=True)
class ClusterResult:
    labels: np.ndarray  # topic id per article, NOISE for "no topic"
    probabilities: np.ndarray  # HDBSCAN membership strength in [0, 1]; 0 for noise
    settings: ClusterSettingsUsed

    @property
    def topic_count(self) -> int:
        return len(set(self.labels.tolist()) - {NOISE})

    @property
    def noise_share(self) -> float:
        return float(np.mean(self.labels == NOISE)) if len(self.labels) else 0.0


def reduce_embeddings(embeddings: np.ndarray, settings: ClusteringSettings) -> np.ndarray:
    """Project to `settings.n_components` dimensions (never more than the data supports)."""
    if settings.reduction not in REDUCTIONS:
        raise ValueError(f"topic_clusters config 'reduction' must be one of {REDUCTIONS}, not {settings.reduction!r}")
    n_rows, n_dims = embeddings.shape
    n_components = min(settings.n_components, n_dims, max(n_rows - 1, 1))
    if settings.reduction == "none" or n_components >= n_dims:
        return embeddings
    if settings.reduction == "umap":
        try:
            import umap
        except ImportError:
            raise ClusteringUnavailable(
                "topic_clusters config reduction='umap' needs the umap-learn package, which is not installed: "
                "install umap-learn or set reduction to 'pca'"
            ) from None
        return umap.UMAP(n_components=n_components, metric="cosine", random_state=settings.seed).fit_transform(embeddings)

    from sklearn.decomposition import PCA

    return PCA(n_components=n_components, random_state=settings.seed).fit_transform(embeddings)


def cluster_embeddings(embeddings: np.ndarray, settings: ClusteringSettings = ClusteringSettings()) -> ClusterResult:
    """Topic id and membership strength of every row of `embeddings` (n x dim)."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    n_rows = len(embeddings)
    resolved = settings.resolved(n_rows)
    min_cluster_size, min_samples = int(resolved.min_cluster_size), int(resolved.min_samples)
    if n_rows < max(min_cluster_size, 2):
        # Too few articles to form a single topic: everything is "no topic".
        used = ClusterSettingsUsed(min_cluster_size, min_samples, 0, resolved.reduction)
        return ClusterResult(np.full(n_rows, NOISE, dtype=np.int64), np.zeros(n_rows), used)

    reduced = np.ascontiguousarray(reduce_embeddings(embeddings, resolved), dtype=np.float64)
    import hdbscan

    clusterer = hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min(min_samples, n_rows - 1),
        metric=resolved.metric,
        cluster_selection_method=resolved.cluster_selection_method,
        algorithm=resolved.algorithm,
        approx_min_span_tree=resolved.approx_min_span_tree,
        core_dist_n_jobs=resolved.core_dist_n_jobs,
    )
    labels = clusterer.fit_predict(reduced).astype(np.int64)
    used = ClusterSettingsUsed(min_cluster_size, min_samples, reduced.shape[1], resolved.reduction)
    return ClusterResult(labels, np.asarray(clusterer.probabilities_, dtype=np.float64), used)
