"""The splitter: determinism, stratification, held-out topics, near-duplicate groups, tiny corpora."""

import numpy as np
import pandas as pd
import pytest

from asknews_assets.dataset.export import HELDOUT, TEST, TRAIN, VALIDATION
from asknews_assets.dataset.splits import (
    SplitSettings,
    assign_splits,
    choose_heldout_topics,
    find_leaks,
    near_duplicate_groups,
)


def _corpus(n=600, topics=10, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "article_id": [f"a{i:04d}" for i in range(n)],
            "topic_id": rng.integers(-1, topics, n),
            "language": rng.choice(["en", "es", "de", "fr"], n),
        }
    )


def _random_embeddings(ids, seed=0, dim=16):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(ids), dim)).astype(np.float32)
    return dict(zip(ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)))


def test_deterministic_for_a_seed_and_different_for_another():
    corpus = _corpus()
    first = assign_splits(corpus, SplitSettings(seed=7))
    assert assign_splits(corpus.sample(frac=1, random_state=3), SplitSettings(seed=7)) == first  # input order is irrelevant
    assert assign_splits(corpus, SplitSettings(seed=8)).assignments != first.assignments


def test_every_article_in_exactly_one_split_with_the_ratios():
    corpus = _corpus()
    result = assign_splits(corpus, SplitSettings())
    assert set(result.assignments) == set(corpus["article_id"]) and not result.excluded
    counts = pd.Series(result.assignments).value_counts()
    ratio_docs = len(corpus) - counts.get(HELDOUT, 0)
    assert abs(counts[TRAIN] - 0.8 * ratio_docs) <= 1
    assert abs(counts[VALIDATION] - 0.1 * ratio_docs) <= 1 and abs(counts[TEST] - 0.1 * ratio_docs) <= 1


def test_stratified_by_topic_and_language():
    corpus = _corpus(n=2000, topics=5)
    result = assign_splits(corpus, SplitSettings(heldout_topics=0))
    frame = corpus.assign(split=corpus["article_id"].map(result.assignments))
    for (topic, language), stratum in frame.groupby(["topic_id", "language"]):
        shares = stratum["split"].value_counts(normalize=True)
        assert abs(shares.get(TRAIN, 0) - 0.8) < 0.1, (topic, language)
        # Each stratum gets its share of the evaluation splits, up to one article either way.
        assert abs(shares.get(TEST, 0) * len(stratum) - 0.1 * len(stratum)) <= 1.5, (topic, language)


def test_heldout_topics_are_absent_from_train_and_never_noise():
    corpus = _corpus(topics=20)
    result = assign_splits(corpus, SplitSettings(heldout_topic_share=0.2, seed=3))
    assert len(result.heldout_topics) == 4 and -1 not in result.heldout_topics
    frame = corpus.assign(split=corpus["article_id"].map(result.assignments))
    assert set(frame.loc[frame["split"] == HELDOUT, "topic_id"]) == set(result.heldout_topics)
    assert not set(frame.loc[frame["split"] != HELDOUT, "topic_id"]) & set(result.heldout_topics)

    assert len(assign_splits(corpus, SplitSettings(heldout_topics=2)).heldout_topics) == 2
    assert assign_splits(corpus, SplitSettings(heldout_topics=0)).heldout_topics == []


def test_held_out_topic_choice_keeps_a_topic_for_training():
    assert choose_heldout_topics([-1, -1, 4], SplitSettings()) == []  # the only real topic stays
    assert choose_heldout_topics([-1, 4, 9], SplitSettings()) in ([4], [9])  # share rounds to 0: at least one
    assert len(choose_heldout_topics([1, 2, 3], SplitSettings(heldout_topics=10))) == 2
    assert choose_heldout_topics([-1, -1], SplitSettings()) == []


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_tiny_corpora_split_without_error(n):
    corpus = pd.DataFrame({"article_id": [f"t{i}" for i in range(n)], "topic_id": [-1] * n, "language": ["en"] * n})
    result = assign_splits(corpus, SplitSettings())
    assert sorted(result.assignments) == sorted(corpus["article_id"]) and result.heldout_topics == []
    splits = set(result.assignments.values())
    if n >= 3:
        assert {TRAIN, VALIDATION, TEST} <= splits  # every evaluation split gets an article once there are enough
    if n:
        assert TRAIN in splits


def test_near_duplicates_are_grouped_transitively():
    base = np.eye(4, dtype=np.float32)
    close = base[0] + 0.2 * base[1]  # cos(base0, close) ~ 0.98
    chain = close + 0.3 * base[2]  # cos 0.96 to close, 0.94 to base0: joined through close
    groups = near_duplicate_groups(np.stack([base[0], base[3], close, chain]), threshold=0.95)
    assert groups[0] == groups[2] == groups[3] and groups[1] != groups[0]


def test_near_duplicate_articles_share_a_split_and_cause_no_leak():
    corpus = _corpus(n=300, topics=6)
    embeddings = _random_embeddings(corpus["article_id"])
    # Ten pairs of near-duplicates across different topics and languages.
    ids = list(corpus["article_id"])
    for k in range(10):
        embeddings[ids[2 * k + 1]] = embeddings[ids[2 * k]] * 0.99 + 0.01 * embeddings[ids[200 + k]]
    result = assign_splits(corpus, SplitSettings(seed=1), embeddings)
    kept = [k for k in range(10) if ids[2 * k] not in result.excluded and ids[2 * k + 1] not in result.excluded]
    assert kept and all(result.assignments[ids[2 * k]] == result.assignments[ids[2 * k + 1]] for k in kept)
    assert result.near_duplicate_groups >= 10

    splits = pd.DataFrame({"article_id": list(result.assignments), "split": list(result.assignments.values())})
    topics = dict(zip(corpus["article_id"], corpus["topic_id"]))
    report = find_leaks(splits, embeddings, 0.95, topics=topics)
    assert report.passed, report
    # Articles excluded because their twin is in a held-out topic are neither held out nor trained on.
    for article_id, reason in result.excluded.items():
        assert reason == "near_duplicate_of_heldout_topic" and article_id not in result.assignments


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        SplitSettings(train=0.8, validation=0.3, test=0.1)
    with pytest.raises(ValueError, match="heldout"):
        SplitSettings(heldout_topic_share=1.0)
    with pytest.raises(ValueError, match="unique"):
        assign_splits(pd.DataFrame({"article_id": ["a", "a"], "topic_id": [1, 1], "language": ["en", "en"]}), SplitSettings())
