"""Embedding as plain logic: embedded text, length-sorted batches, order restored, unit vectors, the model."""

import numpy as np
import pytest

from asknews_assets.embeddings import (
    embed_texts,
    embedding_text,
    l2_normalise,
    length_sorted_batches,
    load_sentence_transformer,
    packaged_minilm_path,
)
from asknews_assets.resources import build_resources
from asknews_assets.resources.embeddings import SentenceTransformerEmbedder
from asknews_assets.settings import Settings

TEXTS = ["short", "a much longer text than the others here", "mid-sized text", "", "tiny", "another long one, quite long"]


class RecordingEncoder:
    """Vectors that depend only on the text (not on the batch), unnormalised; remembers its batches."""

    def __init__(self):
        self.batches = []

    def encode(self, sentences, batch_size, **options):
        self.batches.append(list(sentences))
        return np.array([[len(s) + 1.0, sum(map(ord, s)) % 97 + 1.0, 3.0] for s in sentences])


def test_batches_are_sorted_by_length_and_the_order_is_restored():
    encoder = RecordingEncoder()
    vectors = embed_texts(encoder, TEXTS, dimension=3, batch_size=4)
    lengths = [len(s) for batch in encoder.batches for s in batch]
    assert lengths == sorted(lengths, reverse=True) and [len(b) for b in encoder.batches] == [4, 2]
    expected = l2_normalise(RecordingEncoder().encode(TEXTS, batch_size=len(TEXTS)))
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)
    assert vectors.dtype == np.float32


def test_length_sorted_batches_cover_every_position_once():
    batches = length_sorted_batches(TEXTS, 4)
    assert sorted(i for b in batches for i in b) == list(range(len(TEXTS)))
    assert batches[0][0] == 1  # the longest first
    assert length_sorted_batches([], 4) == []


def test_normalisation_keeps_zero_rows_finite():
    normalised = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(normalised, [[0.6, 0.8], [0.0, 0.0]])


def test_embedded_text_per_field():
    parts = {"title": "Floods", "summary": "Rain flooded the city.", "translation": "Full text."}
    assert embedding_text("summary", **parts) == "Rain flooded the city."
    assert embedding_text("translation", **parts) == "Full text."
    assert embedding_text("title_summary", **parts) == "Floods. Rain flooded the city."
    assert embedding_text("title_summary", **{**parts, "title": " "}) == "Rain flooded the city."
    with pytest.raises(ValueError, match="summary"):
        embedding_text("body", **parts)


def test_packaged_model_embeds_offline_with_unit_vectors_in_input_order():
    embedder = SentenceTransformerEmbedder(batch_size=2)
    texts = [
        "The central bank raised interest rates to fight inflation.",
        "Football: the home team won the cup final.",
        "Interest rates went up as the central bank fought rising prices in the economy this year.",
    ]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 384) and embedder.dimension == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # each row is its own text's embedding, whatever batch it was encoded in
    for text, vector in zip(texts, vectors):
        np.testing.assert_allclose(embedder.embed([text])[0], vector, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 2] > similarity[0, 1] + 0.3
    assert embedder.model_name == "sentence-transformers/all-MiniLM-L6-v2"


def test_model_is_loaded_once_per_process():
    path = str(packaged_minilm_path())
    assert load_sentence_transformer(path, "cpu") is load_sentence_transformer(path, "cpu")


def test_configuration_is_validated_and_bound_per_deployment(monkeypatch):
    with pytest.raises(ValueError, match="embedded_field"):
        SentenceTransformerEmbedder(embedded_field="body").text_field
    assert build_resources(Settings.from_env(deployment="local"))["embedder"].model_name == "sentence-transformers/all-MiniLM-L6-v2"
    monkeypatch.setenv("ASKNEWS_EMBEDDING_MODEL", "/models/e5")
    monkeypatch.setenv("ASKNEWS_EMBEDDING_FIELD", "title_summary")
    production = build_resources(Settings.from_env(deployment="production"))["embedder"]
    assert (production.model_name, production.text_field) == ("/models/e5", "title_summary")
