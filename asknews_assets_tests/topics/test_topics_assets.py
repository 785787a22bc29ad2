"""topic_clusters and diversified_sample materialised against a temporary warehouse seeded with
synthetic raw_articles, article_summaries and article_embeddings (the upstream contracts)."""

from datetime import datetime, timedelta, timezone
from typing import Optional

import numpy as np
import pandas as pd
import pytest
from dagster import AssetCheckSeverity, DagsterInstance, build_asset_check_context, materialize

from asknews_assets.assets.sample import diversified_sample
from asknews_assets.assets.topics import topic_clusters
from asknews_assets.checks.sample import (
    diversified_sample_beats_random,
    diversified_sample_no_near_duplicates,
    diversified_sample_target_met,
    diversified_sample_topic_caps,
)
from asknews_assets.checks.topics import article_topics_complete
from asknews_assets.partitions import ArticlePartition
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import replace_partition
from asknews_assets.topics.clustering import NOISE
from asknews_assets.topics.describe import NOISE_LABEL
from asknews_assets.sample.duplicates import near_duplicate_pairs
from asknews_assets.llm import ChatEndpoint
from asknews_assets.resources.topics import KeywordTopicLabeler, LLMTopicLabeler, TopicLabeler
from asknews_assets.topics.labeling import TopicLabel
from asknews_assets_tests.support.fakes import Answer, Error, FakeOpenAIServer
from asknews_assets_tests.support.fakes.openai_server import last_user_message

DIM = 48
# A fixed-size array, as warehouse files of earlier versions store embeddings: the readers take both.
EMBEDDINGS_DDL = f"""
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, embedding FLOAT[{DIM}] NOT NULL,
    embedding_model VARCHAR, embedding_dim INTEGER, embedded_field VARCHAR
"""
THEMES = {
    "water": ["water", "reservoir", "rationing", "drought", "river", "summit"],
    "dengue": ["dengue", "mosquito", "vaccine", "hospital", "outbreak", "clinic"],
    "ai": ["parliament", "chatbot", "regulation", "algorithm", "startup", "privacy"],
    "sport": ["olympic", "athlete", "stadium", "medal", "coach", "qualifying"],
}
# A skewed supply: most articles from the United States in English.
PARTITIONS = [("US", "en")] * 6 + [("FR", "fr"), ("BR", "pt"), ("DE", "de"), ("MX", "es"), ("IN", "en")]
COPIED, COPY = "water-000", "copy-of-water-000"  # a syndicated copy: its embedding repeats another's


def synthetic_corpus(per_theme: int = 30, outliers: int = 6, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((len(THEMES), DIM))
    rows, vectors = [], []
    for number, (theme, words) in enumerate(THEMES.items()):
        for i in range(per_theme):
            country, language = PARTITIONS[rng.integers(len(PARTITIONS))]
            picked = rng.choice(words, size=4, replace=False)
            rows.append(
                {
                    "article_id": f"{theme}-{i:03d}",
                    "country": country,
                    "language": language,
                    "summary": f"Officials said the {picked[0]} and {picked[1]} news on {picked[2]} and {picked[3]} in 2024.",
                    "day": int(rng.integers(0, 10)),
                }
            )
            vectors.append(centres[number] / np.linalg.norm(centres[number]) + 0.06 * rng.standard_normal(DIM))
    for i in range(outliers):
        rows.append({"article_id": f"misc-{i:03d}", "country": "FR", "language": "fr", "summary": "Officials said many things.", "day": i})
        vectors.append(rng.standard_normal(DIM))
    rows.append({**rows[0], "article_id": COPY, "country": "BR", "language": "pt"})
    vectors.append(vectors[0])
    embeddings = np.asarray(vectors, dtype=np.float32)
    return pd.DataFrame(rows), embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)


def seed_warehouse(warehouse: Warehouse, articles: pd.DataFrame, embeddings: np.ndarray, model: str = "synthetic-48d") -> None:
    start = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
    with warehouse.get_connection() as conn:
        for (country, language), group in articles.groupby(["country", "language"]):
            partition = ArticlePartition(country, language)
            keys = {"country": country, "language": language}
            raw = [
                {**keys, "article_id": row.article_id, "pub_date": start + timedelta(days=row.day), "text": row.summary, "eng_text": row.summary}
                for row in group.itertuples()
            ]
            summaries = [{**keys, "article_id": row.article_id, "summary": row.summary, "summary_backend": "test"} for row in group.itertuples()]
            vectors = [
                {**keys, "article_id": row.article_id, "embedding": embeddings[index].tolist(), "embedding_model": model, "embedding_dim": DIM}
                for index, row in zip(group.index, group.itertuples())
            ]
            tables.RAW_ARTICLES.replace_partition(conn, partition, raw)
            tables.ARTICLE_SUMMARIES.replace_partition(conn, partition, summaries)
            replace_partition(conn, tables.ARTICLE_EMBEDDINGS.name, EMBEDDINGS_DDL, partition, vectors)


ASSETS_AND_CHECKS = [
    topic_clusters,
    diversified_sample,
    article_topics_complete,
    diversified_sample_topic_caps,
    diversified_sample_no_near_duplicates,
    diversified_sample_beats_random,
    diversified_sample_target_met,
]


def run(warehouse: Warehouse, instance: DagsterInstance, sample_config: dict | None = None, selection=ASSETS_AND_CHECKS):
    return materialize(
        selection,
        instance=instance,
        resources={"warehouse": warehouse, "topic_labeler": KeywordTopicLabeler()},
        run_config={"ops": {"diversified_sample": {"config": sample_config or {}}}} if diversified_sample in selection else None,
    )


@pytest.fixture
def seeded(warehouse: Warehouse) -> Warehouse:
    seed_warehouse(warehouse, *synthetic_corpus())
    return warehouse


def test_topics_are_found_keyworded_and_every_article_assigned(seeded, instance):
    result = run(seeded, instance, {"target_size": 40, "max_topic_share": 0.25})
    assert result.success
    with seeded.get_connection() as conn:
        topics = conn.execute("SELECT * FROM topics ORDER BY topic_id").df()
        assigned = conn.execute("SELECT * FROM article_topics").df()
    assert len(assigned) == 127
    real_topics = topics[topics["topic_id"] != NOISE]
    assert len(real_topics) == 4
    # Each found topic is one theme: all its articles share the theme prefix, and its keywords are the theme's words.
    for topic in real_topics.itertuples():
        members = assigned.loc[assigned["topic_id"] == topic.topic_id, "article_id"]
        themes = {article_id.split("-")[0] for article_id in members if article_id != COPY}
        assert len(themes) == 1
        theme = themes.pop()
        # The theme's six words rank above the words every topic shares ("officials", "said", "news").
        assert set(topic.keywords[:6]) == set(THEMES[theme])
        assert topic.label == ", ".join(topic.keywords[:3])
        assert topic.representative_article_id in set(members)
    noise = topics[topics["topic_id"] == NOISE].iloc[0]
    assert noise["label"] == NOISE_LABEL and noise["size"] >= 5
    assert set(assigned.loc[assigned["article_id"].str.startswith("misc"), "topic_id"]) == {NOISE}
    assert topics["size"].sum() == 127
    assert list(topics.iloc[1]["countries"])  # the spread is stored, most frequent first

    metadata = result.asset_materializations_for_node("topic_clusters")[0].metadata
    assert metadata["topic_count"].value == 4
    assert 0 < metadata["noise_share"].value < 0.1
    assert metadata["labeler_backend"].value == "keywords"
    assert "water" in metadata["topics"].value and "![plot]" in metadata["topic_sizes"].value
    assert metadata["labeler_prompt_version"].value == "none (no prompt)"  # not an empty value


def test_the_sample_is_capped_deduplicated_and_beats_random(seeded, instance):
    result = run(seeded, instance, {"target_size": 40, "max_topic_share": 0.25})
    with seeded.get_connection() as conn:
        sample = conn.execute("SELECT * FROM diversified_sample ORDER BY sample_rank").df()
        metrics = conn.execute("SELECT * FROM diversity_metrics").df().set_index("metric")
    assert len(sample) == 40
    assert sample["sample_rank"].tolist() == list(range(1, 41))
    assert sample.groupby("topic_id").size().max() <= 10
    assert sample["topic_id"].nunique() == 5  # four topics and "no topic"
    assert not {COPIED, COPY} <= set(sample["article_id"])
    assert sample["pub_date"].notna().all() and sample["summary"].notna().all()
    assert set(metrics.index) >= {"topic_entropy", "country_entropy", "language_entropy", "largest_topic_share", "country_coverage"}
    assert metrics.loc["country_entropy", "sample"] > metrics.loc["country_entropy", "random_baseline"]

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {
        "article_topics_complete",
        "diversified_sample_topic_caps",
        "diversified_sample_no_near_duplicates",
        "diversified_sample_beats_random",
        "diversified_sample_target_met",
    }
    assert all(e.passed for e in evaluations.values()), {n: e.metadata for n, e in evaluations.items() if not e.passed}

    metadata = result.asset_materializations_for_node("diversified_sample")[0].metadata
    assert metadata["topic_cap"].value == 10 and metadata["dagster/row_count"].value == 40
    assert metadata["shortfall"].value == 0 and metadata["topic_cap_applied"].value == 10
    # Topics counted as topic_clusters counts them: the four, "no topic" apart (it said 5 here).
    clusters = result.asset_materializations_for_node("topic_clusters")[0].metadata
    assert metadata["topics"].value == clusters["topic_count"].value == 4
    assert metadata["no_topic_articles"].value == (sample["topic_id"] == NOISE).sum() > 0
    assert "random_baseline" in metadata["diversity"].value and "![plot]" in metadata["diversity_plot"].value


def test_a_target_the_caps_cannot_meet_raises_them_and_a_short_supply_warns(seeded, instance):
    # 127 articles, four topics and some noise: a cap of 10 per topic leaves a target of 100 out of reach
    result = run(seeded, instance, {"target_size": 100, "max_topic_share": 0.1})
    assert result.success
    metadata = result.asset_materializations_for_node("diversified_sample")[0].metadata
    skipped = metadata["near_duplicates_skipped"].value
    assert metadata["dagster/row_count"].value == 100 and metadata["shortfall"].value == 0
    assert metadata["topic_cap"].value == 10 and metadata["topic_cap_applied"].value > 10
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["diversified_sample_topic_caps"].passed and evaluations["diversified_sample_target_met"].passed

    result = run(seeded, instance, {"target_size": 500}, selection=[diversified_sample, diversified_sample_target_met])
    metadata = result.asset_materializations_for_node("diversified_sample")[0].metadata
    sampled = metadata["dagster/row_count"].value
    assert sampled == 127 - metadata["near_duplicates_skipped"].value and skipped <= 1
    assert metadata["shortfall"].value == 500 - sampled and "the supply holds 127 articles" in metadata["shortfall_reason"].value
    (target_check,) = result.get_asset_check_evaluations()
    assert not target_check.passed and target_check.severity == AssetCheckSeverity.WARN
    assert target_check.metadata["shortfall"].value == 500 - sampled


def test_rematerialising_replaces_rows_and_the_seed_decides_the_sample(seeded, instance):
    run(seeded, instance, {"target_size": 30, "seed": 1, "max_topic_share": 0.5})
    with seeded.get_connection() as conn:
        first = conn.execute("SELECT article_id FROM diversified_sample ORDER BY sample_rank").fetchall()
    run(seeded, instance, {"target_size": 30, "seed": 1, "max_topic_share": 0.5}, selection=[diversified_sample])
    with seeded.get_connection() as conn:
        again = conn.execute("SELECT article_id FROM diversified_sample ORDER BY sample_rank").fetchall()
        counts = conn.execute("SELECT (SELECT count(*) FROM article_topics), (SELECT count(*) FROM topics WHERE topic_id = -1)").fetchone()
    assert first == again and len(first) == 30
    assert counts == (127, 1)


def test_checks_fail_on_a_tampered_sample(seeded, instance):
    run(seeded, instance, {"target_size": 40, "max_topic_share": 0.25})
    with seeded.get_connection() as conn:
        # Over the cap, with a near-duplicate pair, and less diverse than random on one metric.
        conn.execute(
            """
            INSERT INTO diversified_sample
            SELECT t.article_id, t.country, t.language, t.topic_id, t.topic_label, NULL, NULL, 1000 + row_number() OVER ()
            FROM article_topics t WHERE t.article_id IN (SELECT article_id FROM article_topics WHERE topic_id = 0 LIMIT 12)
            """
        )
        conn.execute("UPDATE diversity_metrics SET sample = random_baseline - 0.1 WHERE metric = 'country_entropy'")
    def context():
        return build_asset_check_context(resources={"warehouse": seeded}, instance=instance)

    assert not diversified_sample_topic_caps(context()).passed
    duplicates = diversified_sample_no_near_duplicates(context())
    assert not duplicates.passed and duplicates.metadata["near_duplicate_pairs"].value > 0
    beats = diversified_sample_beats_random(seeded)
    assert not beats.passed and beats.severity == AssetCheckSeverity.ERROR
    assert beats.metadata["worse_than_random"].value == "country_entropy"


def test_losing_only_where_random_is_already_at_the_best_is_a_warning(seeded, instance):
    run(seeded, instance, {"target_size": 40, "max_topic_share": 0.25})
    with seeded.get_connection() as conn:
        conn.execute("UPDATE diversity_metrics SET random_baseline = 1.0, best_possible = 1.0, sample = 0.9 WHERE metric = 'language_coverage'")
    beats = diversified_sample_beats_random(seeded)
    assert not beats.passed and beats.severity == AssetCheckSeverity.WARN


def test_whole_supply_sample_ties_random_and_passes(seeded, instance):
    # No caps and a target above the supply: the sample is the supply minus the duplicate.
    result = run(seeded, instance, {"max_topic_share": None})
    with seeded.get_connection() as conn:
        assert conn.execute("SELECT count(*) FROM diversified_sample").fetchone()[0] == 126
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert all(e.passed for name, e in evaluations.items() if name != "diversified_sample_target_met")
    short = evaluations["diversified_sample_target_met"]  # 5,049 wanted: a warning that says why
    assert not short.passed and short.severity == AssetCheckSeverity.WARN
    assert short.metadata["shortfall"].value == 5049 - 126
    assert short.metadata["shortfall_reason"].value == "the supply holds 127 articles; 1 near-duplicate articles skipped"


def test_missing_upstream_tables_name_the_asset_to_materialise(warehouse, instance):
    result = materialize(
        [topic_clusters],
        instance=instance,
        resources={"warehouse": warehouse, "topic_labeler": KeywordTopicLabeler()},
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node("topic_clusters")
    assert "materialise article_embeddings first" in str(failure.error)


def test_embeddings_from_two_models_are_refused(warehouse, instance):
    articles, embeddings = synthetic_corpus(per_theme=5, outliers=0)
    seed_warehouse(warehouse, articles, embeddings)
    with warehouse.get_connection() as conn:
        conn.execute("UPDATE article_embeddings SET embedding_model = 'other-model' WHERE country = 'FR'")
    result = materialize(
        [topic_clusters],
        instance=instance,
        resources={"warehouse": warehouse, "topic_labeler": KeywordTopicLabeler()},
        raise_on_error=False,
    )
    assert not result.success
    assert "mixes embedding models" in str(result.failure_data_for_node("topic_clusters").error)


def test_synthetic_corpus_has_exactly_one_near_duplicate_pair():
    articles, embeddings = synthetic_corpus()
    pairs = near_duplicate_pairs(embeddings, 0.95)
    assert [(articles["article_id"][i], articles["article_id"][j]) for i, j, _ in pairs] == [(COPIED, COPY)]


class RepresentativeLabeler(TopicLabeler):
    """Another labeler behind the interface: names a topic after its representative article."""

    forget_topic: Optional[int] = None  # a topic it fails to label

    @property
    def backend(self) -> str:
        return "test"

    @property
    def model_name(self) -> str:
        return "representative"

    def label_topics(self, topics):
        return {
            t.topic_id: TopicLabel(f"like {t.representative_article_id}", self.backend)
            for t in topics
            if t.topic_id != self.forget_topic
        }


def test_a_configured_labeler_names_the_topics_and_must_name_them_all(seeded, instance):
    resources = {"warehouse": seeded, "topic_labeler": RepresentativeLabeler(forget_topic=0)}
    result = materialize([topic_clusters], instance=instance, resources=resources, raise_on_error=False)
    assert not result.success
    assert "returned no label for topics [0]" in str(result.failure_data_for_node("topic_clusters").error)

    result = materialize([topic_clusters], instance=instance, resources={"warehouse": seeded, "topic_labeler": RepresentativeLabeler()})
    with seeded.get_connection() as conn:
        labels = conn.execute("SELECT topic_id, label, representative_article_id FROM topics").fetchall()
    assert all(label == (NOISE_LABEL if topic == NOISE else f"like {representative}") for topic, label, representative in labels)
    assert result.asset_materializations_for_node("topic_clusters")[0].metadata["labeler_backend"].value == "test"


def _name_after_first_keyword(body):
    keywords = last_user_message(body).split("Keywords: ", 1)[1].split("\n", 1)[0]
    return Answer(f"Topic: The {keywords.split(', ')[0]} story.")


def test_an_llm_labeler_names_the_topics_and_a_failed_name_is_recorded_beside_its_keyword_label(seeded, instance):
    with FakeOpenAIServer(responder=_name_after_first_keyword) as server:
        server.script(*[Error(503)] * 3, when="dengue")  # only the dengue topic's prompt mentions dengue
        endpoint = ChatEndpoint(base_url=server.base_url, model="fake-model", api_key_env="", max_retries=2, backoff_base_s=0.01)
        labeler = LLMTopicLabeler(endpoint=endpoint, warehouse=seeded)
        result = materialize([topic_clusters], instance=instance, resources={"warehouse": seeded, "topic_labeler": labeler})
    assert result.success
    with seeded.get_connection() as conn:
        rows = conn.execute("SELECT keywords[1], label, label_source, label_failure FROM topics WHERE topic_id <> ?", [NOISE]).fetchall()
        noise = conn.execute("SELECT label, label_source FROM topics WHERE topic_id = ?", [NOISE]).fetchone()
        article_labels = {label for (label,) in conn.execute("SELECT DISTINCT topic_label FROM article_topics").fetchall()}
    by_keyword = {keyword: (label, source, failure) for keyword, label, source, failure in rows}
    themes = [next(theme for theme, words in THEMES.items() if keyword in words) for keyword in by_keyword]
    assert sorted(themes) == sorted(THEMES)
    dengue = next(keyword for keyword in by_keyword if keyword in THEMES["dengue"])
    assert by_keyword.pop(dengue)[1:] == ("keywords", "http_503")
    assert all(label == f"The {keyword} story" and (source, failure) == ("llm", None) for keyword, (label, source, failure) in by_keyword.items())
    assert noise == (NOISE_LABEL, "fixed")
    assert {f"The {keyword} story" for keyword in by_keyword} <= article_labels
    metadata = result.asset_materializations_for_node("topic_clusters")[0].metadata
    assert (metadata["labeler_backend"].value, metadata["labeler_model"].value) == ("llm", "fake-model")
    assert metadata["labeler_prompt_version"].value == "topic-label-v1"
    assert "http_503 | 1" in metadata["label_failures"].value
