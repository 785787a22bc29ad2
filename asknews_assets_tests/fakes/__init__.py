"""Test doubles of external services and upstream tables, reusable by every stage's tests."""

from __future__ import annotations

from asknews_assets.partitions import ArticlePartition
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.tables import TRANSLATED_ARTICLES
from asknews_assets_tests.fakes.openai_server import Answer, Call, Error, FakeOpenAIServer, Raw, Step

__all__ = ["Answer", "Call", "Error", "FakeOpenAIServer", "Raw", "Step", "write_translated_articles"]


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
        TRANSLATED_ARTICLES.replace_partition(conn, partition, rows)
