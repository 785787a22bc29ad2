"""How diverse a sample is, measured against the supply it was drawn from.

Metrics (each in [0, 1]):
- `<dimension>_entropy`: Shannon entropy of the sample's topics / countries / languages, divided by
  log of the number of categories in the *supply*, so missing categories count against the sample;
- `largest_topic_share`: the share of the sample's largest topic (noise counts as a topic) — lower
  is better;
- `<dimension>_coverage`: share of the supply's categories present in the sample.

`best_possible_metrics` bounds what any sample of the same size could reach given the supply (the
most even allocation each dimension allows), which tells a sampler that cannot beat a random
baseline because nobody could apart from one that is worse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

DIMENSIONS = {"topic": "topic_id", "country": "country", "language": "language"}
METRICS = (
    "topic_entropy",
    "country_entropy",
    "language_entropy",
    "largest_topic_share",
    "topic_coverage",
    "country_coverage",
    "language_coverage",
)
LOWER_IS_BETTER = frozenset({"largest_topic_share"})
TOLERANCE = 1e-9


def normalised_entropy(counts: Sequence[int], categories: int) -> float:
    """Entropy of `counts` over log(categories); 1.0 when there is only one category to spread over."""
    counts = np.asarray([c for c in counts if c > 0], dtype=float)
    if counts.sum() == 0:
        return 0.0
    if categories <= 1:
        return 1.0
    shares = counts / counts.sum()
    return float(-(shares * np.log(shares)).sum() / math.log(categories))


def _metrics_from_counts(counts: dict[str, Sequence[int]], categories: dict[str, int]) -> dict[str, float]:
    size = sum(counts["topic"])
    metrics = {f"{dim}_entropy": normalised_entropy(counts[dim], categories[dim]) for dim in DIMENSIONS}
    metrics["largest_topic_share"] = max(counts["topic"], default=0) / size if size else 0.0
    metrics.update(
        {
            f"{dim}_coverage": sum(1 for c in counts[dim] if c > 0) / categories[dim] if categories[dim] else 0.0
            for dim in DIMENSIONS
        }
    )
    return {name: metrics[name] for name in METRICS}


def _categories(supply: pd.DataFrame) -> dict[str, int]:
    return {dim: int(supply[column].nunique()) for dim, column in DIMENSIONS.items()}


def diversity_metrics(sample: pd.DataFrame, supply: pd.DataFrame) -> dict[str, float]:
    """The METRICS of `sample` (rows of `supply`; columns topic_id, country, language)."""
    counts = {dim: sample[column].value_counts().tolist() for dim, column in DIMENSIONS.items()}
    return _metrics_from_counts(counts, _categories(supply))


def balanced_counts(available: Sequence[int], size: int) -> list[int]:
    """The most even way to take `size` items from categories holding `available` items each.

    Water-filling: the smallest categories are taken whole, the others equally (within one). This
    allocation is majorised by every other, so it maximises entropy and coverage and minimises the
    largest share at once.
    """
    counts = [0] * len(available)
    remaining = min(size, sum(available))
    order = sorted(range(len(available)), key=lambda i: available[i])
    for position, index in enumerate(order):
        counts[index] = min(available[index], math.ceil(remaining / (len(order) - position)))
        remaining -= counts[index]
    return counts


def best_possible_metrics(supply: pd.DataFrame, size: int) -> dict[str, float]:
    """Per metric, the best value any sample of `size` rows of `supply` could have (an upper bound
    per dimension: the dimensions are not always balanceable together)."""
    counts = {dim: balanced_counts(supply[column].value_counts().tolist(), size) for dim, column in DIMENSIONS.items()}
    return _metrics_from_counts(counts, _categories(supply))


def compare_to_baseline(sample: dict[str, float], baseline: dict[str, float], best: dict[str, float]) -> pd.DataFrame:
    """One row per metric: the sample, the random baseline, the best possible, and a verdict
    ('better' / 'tied' / 'worse' for the sample) with whether the baseline could be beaten at all."""
    rows = []
    for metric in METRICS:
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
        margin = sign * (sample[metric] - baseline[metric])
        verdict = "better" if margin > TOLERANCE else "worse" if margin < -TOLERANCE else "tied"
        rows.append(
            {
                "metric": metric,
                "sample": sample[metric],
                "random_baseline": baseline[metric],
                "best_possible": best[metric],
                "verdict": verdict,
                "beatable": sign * (best[metric] - baseline[metric]) > TOLERANCE,
            }
        )
    return pd.DataFrame(rows)
