"""The leakage check finds every kind of constructed leak, and passes a clean assignment."""

import numpy as np
import pandas as pd

from asknews_assets.dataset.splits import find_leaks


def _unit(*values):
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


EMBEDDINGS = {
    "tr1": _unit(1, 0, 0, 0),
    "tr2": _unit(0, 1, 0, 0),
    "va1": _unit(1, 0.05, 0, 0),  # near-duplicate of tr1, but validation is not an evaluation split
    "te1": _unit(0, 0, 1, 0),
    "ho1": _unit(0, 0, 0, 1),
}
TEXTS = {"tr1": ("a",), "tr2": ("b",), "va1": ("c",), "te1": ("d",), "ho1": ("e",)}
TOPICS = {"tr1": 1, "tr2": 2, "va1": 1, "te1": 2, "ho1": 9}


def _splits(**assignment):
    return pd.DataFrame({"article_id": list(assignment), "split": list(assignment.values())})


CLEAN = dict(tr1="train", tr2="train", va1="validation", te1="test", ho1="test_heldout_topics")


def test_a_clean_assignment_passes():
    report = find_leaks(_splits(**CLEAN), EMBEDDINGS, 0.95, texts=TEXTS, topics=TOPICS)
    assert report.passed, report


def test_near_duplicates_across_train_and_each_test_split_fail():
    embeddings = {**EMBEDDINGS, "te1": _unit(1, 0.1, 0, 0), "ho1": _unit(0.05, 1, 0, 0)}
    report = find_leaks(_splits(**CLEAN), embeddings, 0.95, texts=TEXTS, topics=TOPICS)
    assert not report.passed
    assert [(a, b, split) for a, b, split, _ in report.near_duplicate_pairs] == [
        ("tr1", "te1", "test"),
        ("tr2", "ho1", "test_heldout_topics"),
    ]
    assert all(cosine > 0.95 for *_, cosine in report.near_duplicate_pairs)
    # Below the threshold the same pairs are no leak.
    assert find_leaks(_splits(**CLEAN), embeddings, 0.999, texts=TEXTS, topics=TOPICS).passed


def test_an_article_in_two_splits_fails():
    splits = pd.concat([_splits(**CLEAN), _splits(te1="validation")])
    report = find_leaks(splits, EMBEDDINGS, 0.95)
    assert report.articles_in_several_splits == ["te1"] and not report.passed


def test_identical_texts_and_heldout_topics_in_train_fail():
    report = find_leaks(_splits(**CLEAN), EMBEDDINGS, 0.95, texts={**TEXTS, "te1": ("a",)}, topics={**TOPICS, "tr2": 9})
    assert report.identical_texts == [("tr1", "te1", "test")]
    assert report.heldout_topics_in_train == [9] and not report.passed


def test_articles_without_embedding_cannot_be_cleared():
    embeddings = {k: v for k, v in EMBEDDINGS.items() if k != "ho1"}
    report = find_leaks(_splits(**CLEAN), embeddings, 0.95)
    assert report.missing_embeddings == ["ho1"] and not report.passed
