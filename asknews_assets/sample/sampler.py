"""Enforced diversification: the recipe's topic-, country-, language- and date-spread sample.

`select_diverse_sample` goes round-robin over the topics, in a seeded order, taking one article per
topic per round until the target size is reached or every topic is exhausted or at its cap. Within
a topic it takes the article whose country, language and publication-date bucket are least
represented in the sample so far: the one minimising sum(log(1 + count already sampled)) over those
three, which is the article that raises the sample's entropy over them the most (so countries,
languages and days are filled like water: the emptiest first, each as far as its supply allows).
Ties go to a seeded random order. An article whose embedding is a near-duplicate (cosine above the
threshold) of one already taken is skipped for good.

Noise ("no topic", topic -1) takes part in the rotation, one article per round like a topic, but
has no cap: its articles share no topic with each other, so capping them as if they were one topic
would starve the sample on a feed the clustering could not organise (on a real skewed feed with
80% noise the capped sample came out at 343 articles for a target of 5,049).

Caps rise when the target cannot be met under them (water-filling over the topics): once every
topic is exhausted or at its cap and the sample is still short, the capped topics are raised
together, evenly, as far as their supply allows. A sample is short of its target only when the
supply itself is (too few articles, or near-duplicates); `SampleResult` says by how much and why.

Everything depends only on the supply's content and the seed, not on its row order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from asknews_assets.topics.clustering import NOISE
from asknews_assets.sample.duplicates import NearDuplicateGuard, unit_rows

RECIPE_SAMPLE_SIZE = 5049  # articles in the published AskNews-NER set
DATE_BUCKETS = ("day", "week")
SUPPLY_COLUMNS = ("article_id", "country", "language", "topic_id", "pub_date")


@dataclass(frozen=True)
class SamplerSettings:
    target_size: int = RECIPE_SAMPLE_SIZE
    max_per_topic: int | None = None  # absolute cap per topic
    max_topic_share: float | None = 0.1  # cap per topic as a share of the target size
    near_duplicate_threshold: float = 0.95
    date_bucket: str = "day"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.date_bucket not in DATE_BUCKETS:
            raise ValueError(f"diversified_sample config 'date_bucket' must be one of {DATE_BUCKETS}, not {self.date_bucket!r}")
        if self.max_topic_share is not None and not 0 < self.max_topic_share <= 1:
            raise ValueError(f"diversified_sample config 'max_topic_share' must be in (0, 1], not {self.max_topic_share}")
        if self.max_per_topic is not None and self.max_per_topic < 1:
            raise ValueError(f"diversified_sample config 'max_per_topic' must be at least 1, not {self.max_per_topic}")
        if self.target_size < 1:
            raise ValueError(f"diversified_sample config 'target_size' must be at least 1, not {self.target_size}")

    def target_for(self, supply_size: int) -> int:
        """The target size, or the whole supply when that is smaller."""
        return min(self.target_size, supply_size)

    def topic_cap(self, target: int) -> int:
        """Most articles any one topic may contribute to a sample of `target` articles."""
        caps = [max(target, 1)]
        if self.max_per_topic is not None:
            caps.append(self.max_per_topic)
        if self.max_topic_share is not None:
            caps.append(max(1, math.ceil(self.max_topic_share * target)))
        return min(caps)


@dataclass(frozen=True)
class SampleResult:
    rows: np.ndarray  # positions in the supply, in the order they were taken (sample rank - 1)
    target_size: int  # the target, or the whole supply when that is smaller
    topic_cap: int  # the cap the settings give
    near_duplicates_skipped: int
    final_topic_cap: int = 0  # the cap after water-filling (topic_cap unless it had to rise)
    requested_size: int = 0  # the configured target, before the supply bounded it
    shortfall: int = 0  # requested_size - sampled articles
    shortfall_reason: str = ""  # empty when the requested size was met

    @property
    def topic_cap_raised(self) -> bool:
        return self.final_topic_cap > self.topic_cap


def canonical_order(supply: pd.DataFrame) -> np.ndarray:
    """Positions of the supply sorted by (article_id, country, language): the row order that
    seeded choices are made in, so reordering the input does not change the result."""
    return np.lexsort(
        (supply["language"].astype(str).to_numpy(), supply["country"].astype(str).to_numpy(), supply["article_id"].astype(str).to_numpy())
    )


def date_buckets(pub_dates: pd.Series, bucket: str) -> np.ndarray:
    """Day or ISO week (Monday start) number of each date, UTC; -1 for a missing date."""
    since_epoch = pd.to_datetime(pd.Series(pub_dates), utc=True) - pd.Timestamp(0, tz="UTC")
    days = (since_epoch // pd.Timedelta(days=1)).fillna(-1).astype(np.int64).to_numpy()
    if bucket == "day":
        return days
    # 1970-01-01 was a Thursday: shift by 3 days so weeks start on Mondays.
    return np.where(days < 0, -1, (days + 3) // 7)


def _codes(values: np.ndarray | pd.Series) -> np.ndarray:
    return pd.factorize(np.asarray(values).astype(str), sort=True)[0]


class _SpreadTracker:
    """Counts the sampled articles per country, language and date bucket, and picks from a pool
    the article that raises their spread the most."""

    def __init__(self, supply: pd.DataFrame, date_bucket: str) -> None:
        self.codes = [
            _codes(supply["country"]),
            _codes(supply["language"]),
            _codes(date_buckets(supply["pub_date"], date_bucket)),
        ]
        self.sampled = [np.zeros(codes.max(initial=-1) + 1) for codes in self.codes]

    def best(self, pool: np.ndarray) -> int:
        """Index in `pool` minimising sum(log(1 + sampled count)); the first one on ties."""
        scores = sum(np.log1p(sampled[codes[pool]]) for codes, sampled in zip(self.codes, self.sampled))
        return int(np.argmin(scores))

    def add(self, row: int) -> None:
        for codes, sampled in zip(self.codes, self.sampled):
            sampled[codes[row]] += 1


def select_diverse_sample(supply: pd.DataFrame, embeddings: np.ndarray, settings: SamplerSettings = SamplerSettings()) -> SampleResult:
    """The diversified sample of `supply` (columns SUPPLY_COLUMNS; one row per row of `embeddings`)."""
    from threadpoolctl import threadpool_limits

    if missing := [column for column in SUPPLY_COLUMNS if column not in supply.columns]:
        raise ValueError(f"the supply lacks the columns {missing}")
    if len(embeddings) != len(supply):
        raise ValueError(f"{len(supply)} supply rows but {len(embeddings)} embeddings")
    target = settings.target_for(len(supply))
    cap = settings.topic_cap(target)
    rng = np.random.default_rng(settings.seed)
    # Candidates of each topic in a seeded shuffle of the canonical order: the tie-break order.
    shuffled = canonical_order(supply)[rng.permutation(len(supply))]
    topics = supply["topic_id"].to_numpy()[shuffled]
    topic_ids = np.unique(topics)
    pools = {int(topic): shuffled[topics == topic] for topic in topic_ids}
    rotation = [int(topic) for topic in topic_ids[rng.permutation(len(topic_ids))]]

    unit = unit_rows(embeddings)
    guard = NearDuplicateGuard(unit.shape[1] if unit.ndim == 2 else 0, target, settings.near_duplicate_threshold)
    spread = _SpreadTracker(supply, settings.date_bucket)
    taken_per_topic = dict.fromkeys(rotation, 0)
    order = {topic: position for position, topic in enumerate(rotation)}
    capped: list[int] = []  # topics left out at their cap, with articles still in their pool
    selected: list[int] = []
    skipped = 0
    # One BLAS thread: OpenBLAS waking its thread pool for each of the guard's thousands of small
    # matrix-vector products makes them ~10x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        while len(selected) < target:
            if not rotation:
                if not capped:
                    break
                # Water-filling: raise every capped topic's cap evenly by what the shortfall needs.
                cap += math.ceil((target - len(selected)) / len(capped))
                rotation, capped = sorted(capped, key=order.__getitem__), []
            for topic in list(rotation):
                if len(selected) == target:
                    break
                pool = pools[topic]
                while len(pool):
                    best = spread.best(pool)
                    row = int(pool[best])
                    pool = np.delete(pool, best)
                    if guard.admit(unit[row]):
                        selected.append(row)
                        spread.add(row)
                        taken_per_topic[topic] += 1
                        break
                    skipped += 1
                pools[topic] = pool
                if not len(pool):
                    rotation.remove(topic)
                elif topic != NOISE and taken_per_topic[topic] >= cap:
                    rotation.remove(topic)
                    capped.append(topic)
    requested = settings.target_size
    shortfall = max(requested - len(selected), 0)
    reasons = []
    if shortfall and len(supply) < requested:
        reasons.append(f"the supply holds {len(supply)} articles")
    if shortfall and skipped:
        reasons.append(f"{skipped} near-duplicate articles skipped")
    return SampleResult(
        np.asarray(selected, dtype=np.int64),
        target,
        settings.topic_cap(target),
        skipped,
        final_topic_cap=cap,
        requested_size=requested,
        shortfall=shortfall,
        shortfall_reason="; ".join(reasons),
    )


def random_sample(supply: pd.DataFrame, size: int, seed: int) -> np.ndarray:
    """A uniform random sample of `size` positions of the supply: the baseline to beat."""
    order = canonical_order(supply)
    return order[np.random.default_rng(seed).choice(len(order), size=min(size, len(order)), replace=False)]
