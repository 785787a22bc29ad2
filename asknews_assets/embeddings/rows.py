"""A partition's embeddings as the rows the warehouse stores, one per summarised article.

One table holds one model's vectors: a model of another dimension than those stored is refused
before anything is written, since vectors of two models cannot be compared.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from asknews_assets.embeddings.encode import embedding_text
from asknews_assets.partitions import ArticlePartition


class MixedDimensions(ValueError):
    """The stored embeddings have another dimension than the model's."""


class EmbeddingBackend(Protocol):
    """What embedding needs of an embedder (the `Embedder` resources are one)."""

    @property
    def model_name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def text_field(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class EmbeddedPartition:
    rows: pd.DataFrame  # rows of article_embeddings
    preview: list[dict[str, Any]]  # partition, article id and embedded text of each row
    seconds: float  # spent embedding


def texts_to_embed(articles: pd.DataFrame, field: str) -> list[str]:
    """The text embedded for each row of `readers.summaries_to_embed` (a missing translation is '')."""
    filled = articles.fillna({"title_en": "", "text_en": ""})
    return [
        embedding_text(field, title=row.title_en, summary=row.summary, translation=row.text_en) for row in filled.itertuples()
    ]


def embed_partition(
    partition: ArticlePartition, articles: pd.DataFrame, embedder: EmbeddingBackend, stored_dimensions: set[int]
) -> EmbeddedPartition:
    """Embed a partition's summaries (`readers.summaries_to_embed`) into article_embeddings rows.

    Raises MixedDimensions when `stored_dimensions` (those already in the table) holds another
    dimension than the embedder's.
    """
    field = embedder.text_field
    texts = texts_to_embed(articles, field)
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - started
    dimension = embedder.dimension
    if stored_dimensions - {dimension}:
        raise MixedDimensions(
            f"article_embeddings holds {sorted(stored_dimensions)}-dimension embeddings but {embedder.model_name} gives {dimension} dimensions:"
            " every partition must use one model; drop the table and re-materialise all partitions to switch models"
        )
    rows = pd.DataFrame(
        {
            "country": partition.country,
            "language": partition.language,
            "article_id": articles["article_id"],
            "embedding": list(vectors),
            "embedding_model": embedder.model_name,
            "embedding_dim": dimension,
            "embedded_field": field,
        }
    )
    preview = [{"partition": str(partition), "article_id": a, "embedded_text": t} for a, t in zip(articles["article_id"], texts)]
    return EmbeddedPartition(rows, preview, seconds)
