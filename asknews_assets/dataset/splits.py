"""Leak-free dataset splits: train / validation / test, stratified, plus a held-out-topics test.

- Held-out topics: a seeded choice of real topics (never the noise group -1, and never all of
  them) whose articles all go to `test_heldout_topics`, so that test measures topics the model
  never saw in training.
- Near-duplicates (cosine similarity of the article embeddings above the threshold) are joined
  into groups that always land in one split together; a group that mixes held-out and other topics
  keeps its held-out articles and drops the others (they are reported), since either placement of
  those would leak.
- The other groups are spread over train / validation / test stratified by (topic, language): the
  strata are walked one after the other and each group goes to the split furthest below its share
  so far, so every stratum and the whole corpus get the ratios as closely as whole articles allow.
  Every split with a positive ratio gets at least one article when there are enough.

Everything is deterministic for a seed. `find_leaks` verifies a finished assignment independently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from asknews_assets.topics.clustering import NOISE
from asknews_assets.dataset.export import ALL_SPLITS, EVALUATION_SPLITS, HELDOUT, TEST, TRAIN, VALIDATION

RATIO_SPLITS = (TRAIN, VALIDATION, TEST)
# Grouping uses a hair lower threshold than the check, so float rounding never separates a pair
# that the check would then find above the threshold.
_GROUPING_MARGIN = 1e-6


@dataclass(frozen=True)
class SplitSettings:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1
    heldout_topics: int | None = None  # how many topics to hold out; None: heldout_topic_share of them
    heldout_topic_share: float = 0.1
    seed: int = 0
    near_duplicate_threshold: float = 0.95

    def __post_init__(self) -> None:
        ratios = (self.train, self.validation, self.test)
        if min(ratios) < 0 or not np.isclose(sum(ratios), 1.0) or self.train <= 0:
            raise ValueError(f"split ratios must be >= 0, train > 0, and sum to 1: {ratios}")
        if not 0 <= self.heldout_topic_share < 1 or (self.heldout_topics is not None and self.heldout_topics < 0):
            raise ValueError("heldout_topic_share must be in [0, 1) and heldout_topics >= 0")
        if not -1 <= self.near_duplicate_threshold <= 1:
            raise ValueError("near_duplicate_threshold is a cosine similarity, in [-1, 1]")

    @property
    def ratios(self) -> dict[str, float]:
        return {TRAIN: self.train, VALIDATION: self.validation, TEST: self.test}


@dataclass(frozen=True)
class SplitResult:
    assignments: dict[str, str]  # article_id -> split
    heldout_topics: list[int]
    excluded: dict[str, str] = field(default_factory=dict)  # article_id -> why it is in no split
    near_duplicate_groups: int = 0  # groups of two or more articles kept together


def _normalized(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def similar_pairs(left: np.ndarray, right: np.ndarray, threshold: float, block: int = 1024) -> list[tuple[int, int, float]]:
    """(i, j, cosine) for rows of `left` and `right` more similar than `threshold`, in row blocks so
    that memory stays bounded (block x len(right) similarities at a time)."""
    if len(left) == 0 or len(right) == 0:
        return []
    left, right = _normalized(left), _normalized(right)
    pairs = []
    for offset in range(0, len(left), block):
        similarities = left[offset : offset + block] @ right.T
        for i, j in zip(*np.nonzero(similarities > threshold), strict=True):
            pairs.append((offset + int(i), int(j), float(similarities[i, j])))
    return pairs


def near_duplicate_groups(embeddings: np.ndarray, threshold: float) -> list[int]:
    """A group id per row: rows linked by similarity above `threshold`, transitively, share one."""
    parent = list(range(len(embeddings)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _ in similar_pairs(embeddings, embeddings, threshold - _GROUPING_MARGIN):
        if i < j:
            parent[root(j)] = root(i)
    return [root(i) for i in range(len(embeddings))]


def choose_heldout_topics(topic_ids: Sequence[int], settings: SplitSettings) -> list[int]:
    """A seeded choice of topics to hold out; at least one real topic always stays for training."""
    topics = sorted({int(t) for t in topic_ids if int(t) != NOISE})
    wanted = settings.heldout_topics if settings.heldout_topics is not None else round(settings.heldout_topic_share * len(topics))
    if settings.heldout_topics is None and settings.heldout_topic_share > 0:
        wanted = max(wanted, 1)
    wanted = min(wanted, len(topics) - 1)
    if wanted <= 0:
        return []
    rng = np.random.default_rng(settings.seed)
    return sorted(int(t) for t in rng.choice(topics, size=wanted, replace=False))


def _allocate(units: list[tuple[tuple, list[str]]], ratios: Mapping[str, float], rng: np.random.Generator) -> dict[str, str]:
    """Units ((topic, language), article ids) to splits: strata in a seeded order, units shuffled
    within each, each unit to the split furthest below its share so far, summed over the whole
    corpus, the unit's topic, its language and its stratum. With many small strata (a topic has
    few articles per language) this still balances topics and languages, each on its own."""
    strata: dict[tuple, list[list[str]]] = defaultdict(list)
    for stratum, ids in units:
        strata[stratum].append(ids)
    order = sorted(strata)
    rng.shuffle(order)
    names = [s for s in RATIO_SPLITS if ratios[s] > 0]
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))
    assigned_units: dict[str, list[tuple[tuple, list[str]]]] = defaultdict(list)
    for stratum in order:
        topic, language = stratum
        groups = [("all",), ("topic", topic), ("language", language), ("stratum", topic, language)]
        for index in rng.permutation(len(strata[stratum])):
            ids = strata[stratum][index]

            def deficit(split: str) -> float:
                return sum(
                    ratios[split] * (sum(counts[g].values()) + len(ids)) - counts[g][split] for g in groups
                )

            # Ties go to the first split in RATIO_SPLITS order: train before validation before test.
            split = max(names, key=lambda s: (deficit(s), -names.index(s)))
            for g in groups:
                counts[g][split] += len(ids)
            assigned_units[split].append((stratum, ids))

    # Small corpora: give every split with a share at least one unit, taken from the largest split
    # (the latest unit of its most represented stratum, so the stratification moves least).
    if len(units) >= len(names):
        for split in names:
            if assigned_units[split]:
                continue
            donor = max(names, key=lambda s: (len(assigned_units[s]), -names.index(s)))
            frequency: dict[tuple, int] = defaultdict(int)
            for stratum, _ in assigned_units[donor]:
                frequency[stratum] += 1
            position = max(range(len(assigned_units[donor])), key=lambda k: (frequency[assigned_units[donor][k][0]], k))
            assigned_units[split].append(assigned_units[donor].pop(position))

    return {article_id: split for split, split_units in assigned_units.items() for _, ids in split_units for article_id in ids}


def assign_splits(
    documents: pd.DataFrame, settings: SplitSettings, embeddings: Mapping[str, np.ndarray] | None = None
) -> SplitResult:
    """Splits for `documents` (article_id, topic_id, language); `embeddings` by article id for the
    near-duplicate grouping (articles without one are their own group)."""
    if documents["article_id"].duplicated().any():
        raise ValueError("article ids must be unique to be split")
    documents = documents.sort_values("article_id").reset_index(drop=True)
    ids = documents["article_id"].astype(str).tolist()
    topics = {a: int(t) for a, t in zip(ids, documents["topic_id"], strict=True)}
    languages = dict(zip(ids, documents["language"].astype(str), strict=True))

    group_of = {a: f"solo:{a}" for a in ids}
    embeddings = embeddings or {}
    with_vectors = [a for a in ids if a in embeddings]
    if with_vectors:
        roots = near_duplicate_groups(np.stack([embeddings[a] for a in with_vectors]), settings.near_duplicate_threshold)
        group_of.update({a: f"group:{with_vectors[r]}" for a, r in zip(with_vectors, roots, strict=True)})
    groups: dict[str, list[str]] = defaultdict(list)
    for article_id in ids:
        groups[group_of[article_id]].append(article_id)

    heldout = set(choose_heldout_topics(list(topics.values()), settings))
    assignments: dict[str, str] = {}
    excluded: dict[str, str] = {}
    units: list[tuple[tuple, list[str]]] = []
    for members in groups.values():
        held = [a for a in members if topics[a] in heldout]
        if held:
            assignments.update(dict.fromkeys(held, HELDOUT))
            excluded.update(dict.fromkeys((a for a in members if topics[a] not in heldout), "near_duplicate_of_heldout_topic"))
        else:
            first = members[0]
            units.append(((topics[first], languages[first]), members))
    assignments.update(_allocate(units, settings.ratios, np.random.default_rng(settings.seed)))
    return SplitResult(
        assignments=dict(sorted(assignments.items())),
        heldout_topics=sorted(heldout),
        excluded=excluded,
        near_duplicate_groups=sum(1 for members in groups.values() if len(members) > 1),
    )


@dataclass(frozen=True)
class LeakReport:
    articles_in_several_splits: list[str]
    near_duplicate_pairs: list[tuple[str, str, str, float]]  # (train id, evaluation id, its split, cosine)
    identical_texts: list[tuple[str, str, str]]  # (train id, evaluation id, its split)
    heldout_topics_in_train: list[int]
    missing_embeddings: list[str]

    @property
    def passed(self) -> bool:
        return not (
            self.articles_in_several_splits
            or self.near_duplicate_pairs
            or self.identical_texts
            or self.heldout_topics_in_train
            or self.missing_embeddings
        )


def find_leaks(
    splits: pd.DataFrame,
    embeddings: Mapping[str, np.ndarray],
    threshold: float,
    texts: Mapping[str, Sequence[str]] | None = None,
    topics: Mapping[str, int] | None = None,
) -> LeakReport:
    """Everything by which an evaluation split could leak into training, in `splits` (article_id, split).

    Checked: an article in two splits (or twice), a train article near-duplicate of (or with the same
    tokens as) a test or held-out-topic article, a held-out topic present in train, and articles that
    cannot be checked because they have no embedding.
    """
    per_article = splits.groupby("article_id")["split"].agg(list)
    several = sorted(a for a, names in per_article.items() if len(names) > 1)
    members = {name: sorted(splits.loc[splits["split"] == name, "article_id"].astype(str)) for name in ALL_SPLITS}
    checked = [a for name in (TRAIN, *EVALUATION_SPLITS) for a in members[name]]
    missing = sorted(a for a in checked if a not in embeddings)

    train = [a for a in members[TRAIN] if a in embeddings]
    near: list[tuple[str, str, str, float]] = []
    identical: list[tuple[str, str, str]] = []
    train_texts = {}
    for article_id in members[TRAIN] if texts else ():
        train_texts.setdefault(tuple(texts[article_id]), article_id)
    for name in EVALUATION_SPLITS:
        evaluation = [a for a in members[name] if a in embeddings]
        if train and evaluation:
            pairs = similar_pairs(
                np.stack([embeddings[a] for a in train]), np.stack([embeddings[a] for a in evaluation]), threshold
            )
            near.extend((train[i], evaluation[j], name, round(cosine, 4)) for i, j, cosine in pairs)
        for article_id in members[name] if texts else ():
            twin = train_texts.get(tuple(texts[article_id]))
            if twin is not None:
                identical.append((twin, article_id, name))

    in_train = set()
    if topics:
        train_topics = {topics[a] for a in members[TRAIN]}
        in_train = {topics[a] for a in members[HELDOUT]} & train_topics
    return LeakReport(several, sorted(near), sorted(identical), sorted(in_train), missing)
