"""Sentence embeddings of article texts: which text is embedded, and batched, normalised encoding.

`embed_texts` encodes longest texts first in batches of similar length (little padding per batch),
then puts every vector back at its input's position and scales it to unit length, so that cosine
similarity is a dot product downstream. It works with any object that has sentence-transformers'
`encode(texts, batch_size=...)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

# Which text of an article is embedded.
EMBEDDED_FIELDS = ("summary", "translation", "title_summary")


class Encoder(Protocol):
    def encode(self, sentences: list[str], batch_size: int, **options: object) -> np.ndarray: ...


def embedding_text(field: str, *, title: str, summary: str, translation: str) -> str:
    """The text embedded for one article: its English summary, its full translation, or title + summary."""
    if field == "summary":
        return summary
    if field == "translation":
        return translation
    if field == "title_summary":
        return f"{title.strip()}. {summary}" if title.strip() else summary
    raise ValueError(f"embedded field must be one of {EMBEDDED_FIELDS}, not {field!r}")


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (an all-zero row stays zero rather than becoming NaN)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Input positions grouped in batches, longest texts first (ties in input order)."""
    order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def embed_texts(encoder: Encoder, texts: Sequence[str], dimension: int, batch_size: int = 64) -> np.ndarray:
    """float32 array (len(texts), dimension) of unit vectors, row i embedding texts[i]."""
    embeddings = np.zeros((len(texts), dimension), dtype=np.float32)
    for positions in length_sorted_batches(texts, batch_size):
        batch = [texts[i] for i in positions]
        vectors = encoder.encode(batch, batch_size=len(batch), convert_to_numpy=True, show_progress_bar=False)
        embeddings[positions] = np.asarray(vectors, dtype=np.float32)
    return l2_normalise(embeddings)
