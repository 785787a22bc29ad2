"""Diversity metrics, their best possible values, the baseline comparison and near-duplicate pairs,
on cases small enough to compute by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from asknews_assets.sample.diversity import (
    METRICS,
    balanced_counts,
    best_possible_metrics,
    compare_to_baseline,
    diversity_metrics,
    normalised_entropy,
)
from asknews_assets.sample.duplicates import NearDuplicateGuard, near_duplicate_pairs


def frame(topics, countries, languages) -> pd.DataFrame:
    return pd.DataFrame({"topic_id": topics, "country": countries, "language": languages})


def test_normalised_entropy_by_hand():
    assert normalised_entropy([5, 5], 2) == pytest.approx(1.0)
    # shares 1/2, 1/4, 1/4 over 4 categories: 1.5 bits / 2 bits.
    assert normalised_entropy([2, 1, 1], 4) == pytest.approx(0.75)
    assert normalised_entropy([3, 0, 0], 3) == 0.0
    assert normalised_entropy([7], 1) == 1.0  # nothing to spread over
    assert normalised_entropy([], 3) == 0.0


def test_diversity_metrics_by_hand():
    supply = frame([0, 0, 1, 2, -1, -1], ["US", "US", "FR", "DE", "US", "BR"], ["en", "en", "fr", "de", "en", "pt"])
    sample = supply.iloc[[0, 1, 2, 4]]  # topics 0,0,1,-1; countries US,US,FR,US; languages en,en,fr,en
    metrics = diversity_metrics(sample, supply)
    assert list(metrics) == list(METRICS)
    topic_entropy = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)) / math.log(4)
    country_entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(4)
    assert metrics["topic_entropy"] == pytest.approx(topic_entropy)
    assert metrics["country_entropy"] == pytest.approx(country_entropy)
    assert metrics["language_entropy"] == pytest.approx(country_entropy)
    assert metrics["largest_topic_share"] == pytest.approx(0.5)
    assert metrics["topic_coverage"] == pytest.approx(3 / 4)
    assert metrics["country_coverage"] == pytest.approx(2 / 4)
    assert metrics["language_coverage"] == pytest.approx(2 / 4)


def test_balanced_counts_fill_small_categories_first():
    assert balanced_counts([1, 10, 10], 7) == [1, 3, 3]
    assert sorted(balanced_counts([5, 5, 5], 7)) == [2, 2, 3]
    assert balanced_counts([2, 3], 100) == [2, 3]
    assert balanced_counts([4, 4], 0) == [0, 0]


def test_best_possible_metrics():
    supply = frame([0] * 8 + [1] * 2, ["US"] * 9 + ["FR"], ["en"] * 10)
    best = best_possible_metrics(supply, 4)
    # Topics 2+2, countries 3+1, one language.
    assert best["topic_entropy"] == pytest.approx(1.0)
    assert best["largest_topic_share"] == pytest.approx(0.5)
    assert best["country_entropy"] == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(2))
    assert best["language_entropy"] == 1.0 and best["country_coverage"] == 1.0


def test_comparison_verdicts():
    names = list(METRICS)
    sample = dict.fromkeys(names, 0.5)
    baseline = dict.fromkeys(names, 0.5)
    best = dict.fromkeys(names, 1.0)
    sample["topic_entropy"], sample["country_entropy"] = 0.7, 0.4
    sample["largest_topic_share"] = 0.3  # lower is better
    baseline["language_coverage"] = best["language_coverage"] = 0.5  # already at its best
    rows = compare_to_baseline(sample, baseline, best).set_index("metric")
    assert rows.loc["topic_entropy", "verdict"] == "better"
    assert rows.loc["country_entropy", "verdict"] == "worse"
    assert rows.loc["largest_topic_share", "verdict"] == "better"
    assert rows.loc["language_entropy", "verdict"] == "tied"
    assert rows.loc["language_coverage", "verdict"] == "tied" and not rows.loc["language_coverage", "beatable"]
    assert rows.loc["country_entropy", "beatable"]


def test_near_duplicate_pairs_above_the_threshold_only():
    vectors = np.array([[1.0, 0.0, 0.0], [0.99, 0.141, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 2.0]])
    pairs = near_duplicate_pairs(vectors, 0.95, block_rows=2)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (3, 4)]
    assert pairs[1][2] == pytest.approx(1.0)
    assert near_duplicate_pairs(vectors, 0.999, block_rows=2) == [(3, 4, pytest.approx(1.0))]


def test_the_guard_admits_only_vectors_far_from_those_admitted():
    guard = NearDuplicateGuard(dim=2, capacity=1, threshold=0.9)
    assert guard.admit(np.array([1.0, 0.0]))
    assert not guard.admit(np.array([0.99, 0.141]))
    assert guard.admit(np.array([0.0, 1.0]))  # grows past its first capacity
    assert not guard.admit(np.array([0.0, 1.0]))
