"""Article embeddings as plain logic: the embedded text, length-sorted batched encoding, model loading."""

from asknews_assets.embeddings.encode import (
    EMBEDDED_FIELDS,
    embed_texts,
    embedding_text,
    l2_normalise,
    length_sorted_batches,
)
from asknews_assets.embeddings.models import PACKAGED_MODEL_NAME, load_sentence_transformer, packaged_minilm_path

__all__ = [
    "EMBEDDED_FIELDS",
    "PACKAGED_MODEL_NAME",
    "embed_texts",
    "embedding_text",
    "l2_normalise",
    "length_sorted_batches",
    "load_sentence_transformer",
    "packaged_minilm_path",
]
