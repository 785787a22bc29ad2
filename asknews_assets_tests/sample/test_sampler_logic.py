"""The diversified sampler on constructed supplies whose right answers are known."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asknews_assets.topics.clustering import NOISE
from asknews_assets.sample.diversity import balanced_counts, diversity_metrics
from asknews_assets.sample.duplicates import near_duplicate_pairs
from asknews_assets.sample.sampler import (
    SamplerSettings,
    date_buckets,
    random_sample,
    select_diverse_sample,
)


def make_supply(topics, countries=None, languages=None, days=None, dim: int = 64, seed: int = 0):
    """A supply with one row per topic id given, distinct random embeddings (no near-duplicates)."""
    n = len(topics)
    rng = np.random.default_rng(seed)
    supply = pd.DataFrame(
        {
            "article_id": [f"a{i:05d}" for i in range(n)],
            "country": countries if countries is not None else ["US"] * n,
            "language": languages if languages is not None else ["en"] * n,
            "topic_id": topics,
            "pub_date": pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(days if days is not None else [0] * n, unit="D"),
        }
    )
    embeddings = rng.standard_normal((n, dim)).astype(np.float32)
    return supply, embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)


def picked(supply, result) -> pd.DataFrame:
    return supply.iloc[result.rows]


def test_an_absolute_cap_per_topic_is_respected_when_the_target_can_be_met_under_it():
    supply, embeddings = make_supply([0] * 50 + [1] * 30 + [2] * 5)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=25, max_per_topic=10, max_topic_share=None))
    counts = picked(supply, result)["topic_id"].value_counts().to_dict()
    assert counts == {0: 10, 1: 10, 2: 5}
    assert result.topic_cap == result.final_topic_cap == 10 and not result.topic_cap_raised
    assert (result.shortfall, result.shortfall_reason) == (0, "")


def test_caps_rise_evenly_when_the_target_cannot_be_met_under_them():
    supply, embeddings = make_supply([0] * 80 + [1] * 80 + [2] * 80)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=40, max_topic_share=0.25))
    assert result.topic_cap == 10 and result.final_topic_cap >= 14 and result.topic_cap_raised
    counts = picked(supply, result)["topic_id"].value_counts()
    assert len(result.rows) == 40 and sorted(counts.tolist()) == [13, 13, 14]  # water-filled, not stopped at 30
    assert result.shortfall == 0


def test_caps_rise_only_as_far_as_the_supply_allows():
    supply, embeddings = make_supply([0] * 50 + [1] * 30 + [2] * 5)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=100, max_per_topic=10, max_topic_share=None))
    assert picked(supply, result)["topic_id"].value_counts().to_dict() == {0: 50, 1: 30, 2: 5}
    assert result.target_size == 85 and result.requested_size == 100
    assert result.shortfall == 15 and result.shortfall_reason == "the supply holds 85 articles"


def test_the_tighter_of_two_caps_wins():
    assert SamplerSettings(max_per_topic=7, max_topic_share=0.5).topic_cap(100) == 7
    assert SamplerSettings(max_per_topic=70, max_topic_share=0.5).topic_cap(100) == 50
    assert SamplerSettings(max_per_topic=None, max_topic_share=None).topic_cap(100) == 100


def test_every_topic_is_represented_when_the_supply_allows():
    sizes = [400, 200, 50, 10, 3, 1, 1]
    supply, embeddings = make_supply([t for t, size in enumerate(sizes) for _ in range(size)] + [NOISE] * 100)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=60, max_topic_share=None))
    counts = picked(supply, result)["topic_id"].value_counts()
    assert set(counts.index) == set(range(len(sizes))) | {NOISE}
    # Round-robin: small topics are taken whole, the rest share the remainder evenly (noise included).
    assert (counts[3], counts[4], counts[5], counts[6]) == (10, 3, 1, 1)
    assert sorted(counts.drop([3, 4, 5, 6]).tolist()) == [11, 11, 11, 12]


def test_noise_takes_its_turn_in_the_rotation():
    supply, embeddings = make_supply([NOISE] * 90 + [0] * 10 + [1] * 10)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=30, max_topic_share=None))
    assert picked(supply, result)["topic_id"].value_counts().to_dict() == {NOISE: 10, 0: 10, 1: 10}


def test_noise_is_not_capped_like_a_topic():
    # 80% noise, as on a skewed feed: a cap of 3 per topic, and noise fills what the topics cannot
    supply, embeddings = make_supply([NOISE] * 90 + [0] * 10 + [1] * 10)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=30, max_topic_share=0.1))
    assert picked(supply, result)["topic_id"].value_counts().to_dict() == {NOISE: 24, 0: 3, 1: 3}
    assert result.topic_cap == result.final_topic_cap == 3 and result.shortfall == 0


def test_the_whole_supply_is_taken_when_it_is_smaller_than_the_target():
    supply, embeddings = make_supply([0] * 7 + [1] * 5)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=5049, max_topic_share=None))
    assert sorted(result.rows.tolist()) == list(range(12))
    assert result.target_size == 12


def test_same_seed_same_sample_and_input_order_does_not_matter():
    rng = np.random.default_rng(7)
    supply, embeddings = make_supply(rng.integers(0, 5, 300).tolist(), countries=rng.choice(["US", "FR", "DE"], 300).tolist())
    settings = SamplerSettings(target_size=50, seed=11)
    first = select_diverse_sample(supply, embeddings, settings)
    again = select_diverse_sample(supply, embeddings, settings)
    assert np.array_equal(first.rows, again.rows)

    shuffled = rng.permutation(len(supply))
    reordered = select_diverse_sample(supply.iloc[shuffled].reset_index(drop=True), embeddings[shuffled], settings)
    assert supply["article_id"].iloc[first.rows].tolist() == supply["article_id"].iloc[shuffled[reordered.rows]].tolist()


def test_a_different_seed_may_give_a_different_sample():
    supply, embeddings = make_supply([0] * 100 + [1] * 100)
    samples = {
        tuple(sorted(select_diverse_sample(supply, embeddings, SamplerSettings(target_size=10, seed=seed)).rows.tolist()))
        for seed in range(4)
    }
    assert len(samples) > 1


def test_near_duplicates_are_skipped():
    supply, embeddings = make_supply([0] * 20 + [1] * 20)
    # Rows 20..39 copy rows 0..19 with a tiny perturbation: 20 near-duplicate pairs across topics.
    embeddings[20:] = embeddings[:20] + 0.01 * np.random.default_rng(3).standard_normal((20, embeddings.shape[1]))
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    assert len(near_duplicate_pairs(embeddings, 0.95)) == 20
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=40, max_topic_share=None))
    assert len(result.rows) == 20 and result.near_duplicates_skipped == 20
    assert result.shortfall == 20 and result.shortfall_reason == "20 near-duplicate articles skipped"
    assert near_duplicate_pairs(embeddings[result.rows], 0.95) == []


def test_the_threshold_decides_what_a_near_duplicate_is():
    supply, embeddings = make_supply([0, 0])
    embeddings[1] = embeddings[0] + 0.5 * embeddings[1]
    embeddings[1] /= np.linalg.norm(embeddings[1])
    similarity = float(embeddings[0] @ embeddings[1])
    loose = select_diverse_sample(supply, embeddings, SamplerSettings(near_duplicate_threshold=similarity + 0.01, max_topic_share=None))
    strict = select_diverse_sample(supply, embeddings, SamplerSettings(near_duplicate_threshold=similarity - 0.01, max_topic_share=None))
    assert (len(loose.rows), len(strict.rows)) == (2, 1)


def test_a_supply_dominated_by_one_country_comes_out_balanced():
    rng = np.random.default_rng(0)
    countries = ["US"] * 800 + ["FR"] * 50 + ["BR"] * 50 + ["IN"] * 50 + ["NG"] * 50
    languages = ["en"] * 800 + ["fr"] * 50 + ["pt"] * 50 + ["en"] * 50 + ["en"] * 50
    supply, embeddings = make_supply(rng.integers(0, 5, 1000).tolist(), countries=countries, languages=languages)
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=250, max_topic_share=None))
    sample = picked(supply, result)
    shares = sample["country"].value_counts(normalize=True)
    assert shares["US"] <= 0.25  # 80% of the supply, about a fifth of the sample
    assert shares.min() >= 0.15
    baseline = supply.iloc[random_sample(supply, len(sample), seed=0)]
    assert diversity_metrics(sample, supply)["country_entropy"] > diversity_metrics(baseline, supply)["country_entropy"] + 0.2


def test_publication_dates_are_spread():
    # One topic, one country: only the dates can be spread. 100 articles on day 0, 10 on each of days 1..5.
    days = [0] * 100 + [d for d in range(1, 6) for _ in range(10)]
    supply, embeddings = make_supply([0] * len(days), days=days)
    sample = picked(supply, select_diverse_sample(supply, embeddings, SamplerSettings(target_size=30, max_topic_share=None)))
    assert sample["pub_date"].dt.day.value_counts().to_dict() == {day: 5 for day in range(1, 7)}


def test_date_buckets_by_day_and_week():
    dates = pd.Series(pd.to_datetime(["2024-03-04T01:00Z", "2024-03-04T23:00Z", "2024-03-10T12:00Z", "2024-03-11T00:30Z", None], utc=True))
    days = date_buckets(dates, "day")
    weeks = date_buckets(dates, "week")
    assert days[0] == days[1] != days[2] and days[4] == -1
    assert weeks[0] == weeks[2] != weeks[3]  # Monday 4th to Sunday 10th is one week
    assert weeks[4] == -1


def test_random_baseline_is_deterministic_and_of_the_asked_size():
    supply, _ = make_supply([0] * 100)
    assert np.array_equal(random_sample(supply, 10, seed=1), random_sample(supply, 10, seed=1))
    assert len(set(random_sample(supply, 10, seed=1).tolist())) == 10
    assert len(random_sample(supply, 500, seed=1)) == 100


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"date_bucket": "month"}, "date_bucket"),
        ({"max_topic_share": 1.5}, "max_topic_share"),
        ({"max_per_topic": 0}, "max_per_topic"),
        ({"target_size": 0}, "target_size"),
    ],
)
def test_invalid_settings_name_the_setting(settings, named):
    with pytest.raises(ValueError, match=named):
        SamplerSettings(**settings)


def test_a_supply_without_the_needed_columns_or_embeddings_is_refused():
    supply, embeddings = make_supply([0, 1])
    with pytest.raises(ValueError, match="pub_date"):
        select_diverse_sample(supply.drop(columns="pub_date"), embeddings)
    with pytest.raises(ValueError, match="embeddings"):
        select_diverse_sample(supply, embeddings[:1])


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 25), min_size=1, max_size=7),
    target=st.integers(1, 120),
    cap=st.one_of(st.none(), st.integers(1, 30)),
    share=st.one_of(st.none(), st.floats(0.05, 1.0)),
)
def test_water_filling_gives_the_most_even_allocation_the_supply_allows(sizes, target, cap, share):
    supply, embeddings = make_supply([t for t, size in enumerate(sizes) for _ in range(size)])
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=target, max_per_topic=cap, max_topic_share=share))
    counts = picked(supply, result)["topic_id"].value_counts().reindex(range(len(sizes)), fill_value=0).tolist()
    size = min(target, sum(sizes))
    assert len(result.rows) == size  # caps never leave the sample short of what the supply holds
    assert sorted(counts) == sorted(balanced_counts(sizes, size))  # small topics whole, the rest level within one
    assert max(counts) <= result.final_topic_cap and result.final_topic_cap >= result.topic_cap
    assert result.shortfall == target - size


@settings(max_examples=30, deadline=None)
@given(noise=st.integers(0, 60), sizes=st.lists(st.integers(1, 20), min_size=1, max_size=5), target=st.integers(1, 100))
def test_with_noise_the_target_is_met_whenever_the_supply_allows(noise, sizes, target):
    supply, embeddings = make_supply([NOISE] * noise + [t for t, size in enumerate(sizes) for _ in range(size)])
    result = select_diverse_sample(supply, embeddings, SamplerSettings(target_size=target, max_topic_share=0.1))
    assert len(result.rows) == min(target, len(supply))
    topic_counts = picked(supply, result)["topic_id"].value_counts().drop(NOISE, errors="ignore")
    assert all(n <= result.final_topic_cap for n in topic_counts)
