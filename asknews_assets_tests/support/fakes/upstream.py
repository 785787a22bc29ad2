"""Stand-ins for upstream assets and tables, so that one stage's tests need not run the stages before it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from dagster import AssetsDefinition, MaterializeResult, MetadataValue, asset

from asknews_assets.partitions import ArticlePartition
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse


def write_translated_articles(
    warehouse: Warehouse, partition: ArticlePartition, articles: dict[str, tuple[str, str]]
) -> None:
    """Stand in for the translated_articles asset: `{article_id: (title_en, text_en)}` of one partition."""
    rows = [
        {
            "country": partition.country,
            "language": partition.language,
            "article_id": article_id,
            "title_en": title,
            "text_en": text,
            "translation_backend": "source",
            "translation_model": "eng_text",
            "detected_language": "en",
            "language_confidence": 1.0,
            "language_matches": True,
        }
        for article_id, (title, text) in articles.items()
    ]
    with warehouse.get_connection() as conn:
        tables.TRANSLATED_ARTICLES.replace_partition(conn, partition, rows)


def stub_dataset_splits(path: Path) -> AssetsDefinition:
    """Stand in for dataset_splits: a materialisation that points at an export already on disk."""

    @asset(name="dataset_splits")
    def dataset_splits() -> MaterializeResult:
        metadata = {"dataset_version": "synthetic-v1", "dataset_path": MetadataValue.path(str(path))}
        return MaterializeResult(metadata=metadata)

    return dataset_splits


# The annotation stage's inputs: 42 articles over 6 topics plus noise, as the topics, summaries and embeddings stages write them.
PEOPLE = ["Joe Biden", "Emmanuel Macron", "Olaf Scholz", "Giorgia Meloni", "Pedro Sanchez", "Volodymyr Zelensky"]
PLACES = ["Paris", "Berlin", "Madrid", "Rome", "Kyiv", "London"]
COUNTRIES = [("FR", "fr"), ("DE", "de"), ("ES", "es"), ("US", "en"), ("UA", "uk")]
N_ARTICLES = 42


def _summary(i: int) -> str:
    return (
        f"{PEOPLE[i % 6]} met {PEOPLE[(i + 1) % 6]} in {PLACES[i % 6]} on Monday to discuss a $"
        f"{i + 1} billion aid package for France and Germany, story {i}."
    )


@pytest.fixture
def seeded(warehouse: Warehouse) -> Warehouse:
    """Upstream tables as the topics, summaries and embeddings stages write them: 42 articles, 6 topics plus noise."""
    rng = np.random.default_rng(0)
    start = datetime(2024, 2, 20, tzinfo=timezone.utc)
    sample, summaries, translations, embeddings = [], [], [], []
    vectors = rng.normal(size=(N_ARTICLES, 8)).astype(np.float32)
    vectors[1] = vectors[0] + 0.01 * vectors[1]  # a near-duplicate pair, in different topics
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for i in range(N_ARTICLES):
        country, language = COUNTRIES[i % len(COUNTRIES)]
        article = {"article_id": f"art-{i:03d}", "country": country, "language": language}
        topic = -1 if i % 7 == 6 else i % 6
        summary = "" if i == 41 else _summary(i)  # one article without a summary
        topic_label = "no topic" if topic < 0 else f"topic {topic}"
        sample.append(
            {**article, "topic_id": topic, "topic_label": topic_label, "pub_date": start + timedelta(days=i % 30),
             "summary": summary, "sample_rank": i + 1}
        )  # fmt: skip
        summaries.append(
            {**article, "summary": summary, "summary_backend": "extractive", "summary_model": "extractive(max_words=100)",
             "prompt_version": "extractive-v1", "input_hash": f"h{i}"}
        )  # fmt: skip
        translations.append(
            {**article, "title_en": "t", "text_en": summary, "translation_model": "source-provided",
             "translation_backend": "source" if language != "en" else "passthrough"}
        )  # fmt: skip
        embeddings.append(
            {**article, "embedding": vectors[i].tolist(), "embedding_model": "mini", "embedding_dim": 8, "embedded_field": "summary"}
        )
    with warehouse.get_connection() as conn:
        tables.DIVERSIFIED_SAMPLE.replace(conn, sample)
        tables.ARTICLE_SUMMARIES.replace(conn, summaries)
        tables.TRANSLATED_ARTICLES.replace(conn, translations)
        tables.ARTICLE_EMBEDDINGS.replace(conn, embeddings)
        tables.DIVERSITY_METRICS.replace(
            conn, [{"metric": "topic_entropy", "sample": 0.9, "random_baseline": 0.6, "best_possible": 1.0}]
        )
    return warehouse
