"""embeddings.rows: a partition's summaries become article_embeddings rows of one dimension."""

import numpy as np
import pandas as pd
import pytest

from asknews_assets.embeddings.rows import MixedDimensions, embed_partition, texts_to_embed
from asknews_assets.partitions import ArticlePartition

MX_ES = ArticlePartition("MX", "es")
ARTICLES = pd.DataFrame(
    {
        "article_id": ["a1", "a2"],
        "summary": ["Rain flooded Monterrey.", "Pemex lost money."],
        "title_en": ["Floods", None],
        "text_en": [None, "Pemex reported a loss of two billion dollars."],
    }
)


class FixedEmbedder:
    """Vectors of `dimension`, the i-th text's vector the i-th basis vector."""

    model_name = "fixed"

    def __init__(self, dimension=3, text_field="summary"):
        self.dimension, self.text_field, self.texts = dimension, text_field, None

    def embed(self, texts):
        self.texts = list(texts)
        return np.eye(len(texts), self.dimension, dtype=np.float32)


def test_the_configured_field_is_embedded_with_nulls_as_empty_text():
    assert texts_to_embed(ARTICLES, "title_summary") == ["Floods. Rain flooded Monterrey.", "Pemex lost money."]
    assert texts_to_embed(ARTICLES, "translation") == ["", "Pemex reported a loss of two billion dollars."]


def test_rows_carry_the_partition_model_dimension_and_field():
    embedder = FixedEmbedder(text_field="title_summary")
    outcome = embed_partition(MX_ES, ARTICLES, embedder, stored_dimensions={3})
    assert embedder.texts == ["Floods. Rain flooded Monterrey.", "Pemex lost money."]
    rows = outcome.rows
    assert rows.drop(columns="embedding").to_dict("records") == [
        {"country": "MX", "language": "es", "article_id": article_id, "embedding_model": "fixed", "embedding_dim": 3,
         "embedded_field": "title_summary"}
        for article_id in ("a1", "a2")
    ]  # fmt: skip
    assert [list(v) for v in rows["embedding"]] == [[1, 0, 0], [0, 1, 0]]
    assert [p["embedded_text"] for p in outcome.preview] == embedder.texts and outcome.seconds >= 0


def test_a_model_of_another_dimension_than_the_stored_is_refused():
    with pytest.raises(MixedDimensions, match=r"holds \[2, 3\]-dimension embeddings but fixed gives 3 dimensions"):
        embed_partition(MX_ES, ARTICLES, FixedEmbedder(), stored_dimensions={2, 3})
    assert len(embed_partition(MX_ES, ARTICLES.iloc[:0], FixedEmbedder(), stored_dimensions=set()).rows) == 0
