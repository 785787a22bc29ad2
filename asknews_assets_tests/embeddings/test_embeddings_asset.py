"""article_embeddings materialised with Dagster after extractive summaries, on the packaged MiniLM."""

import pytest
from dagster import materialize

from asknews_assets.assets.embeddings import article_embeddings
from asknews_assets.assets.summaries import article_summaries
from asknews_assets.checks.embeddings import article_embeddings_complete, embeddings_complete
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.embeddings import SentenceTransformerEmbedder
from asknews_assets.resources.summaries import ExtractiveSummarizer
from asknews_assets_tests.support.fakes import write_translated_articles

MX_ES = ArticlePartition("MX", "es")
ARTICLES = {
    "a1": ("Floods in Monterrey", "Heavy rain flooded Monterrey on Monday. The governor declared an emergency."),
    "a2": ("Pemex results", "Pemex reported a loss of 2 billion dollars in the first quarter."),
    "a3": ("No body", ""),  # fails to summarise, so it has no embedding
}


@pytest.fixture
def partitions(instance):
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    return instance


def _materialize(warehouse, instance, embedder):
    return materialize(
        [article_summaries, article_embeddings, article_embeddings_complete],
        partition_key="es-MX",
        resources={"summarizer": ExtractiveSummarizer(), "embedder": embedder, "warehouse": warehouse},
        instance=instance,
    )


def _rows(warehouse, sql):
    with warehouse.get_connection() as conn:
        return conn.execute(sql).fetchall()


def test_embeddings_are_stored_as_unit_float_lists(warehouse, partitions):
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    result = _materialize(warehouse, partitions, SentenceTransformerEmbedder())
    assert result.success
    assert _rows(
        warehouse,
        "SELECT article_id, typeof(embedding), embedding_model, embedding_dim, embedded_field,"
        " round(list_inner_product(embedding, embedding), 4) FROM article_embeddings ORDER BY 1",
    ) == [
        ("a1", "FLOAT[]", "sentence-transformers/all-MiniLM-L6-v2", 384, "summary", 1.0),
        ("a2", "FLOAT[]", "sentence-transformers/all-MiniLM-L6-v2", 384, "summary", 1.0),
    ]
    (materialization,) = result.asset_materializations_for_node("article_embeddings")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["dagster/row_count"], metadata["dimension"], metadata["field"]) == (2, 384, "summary")
    assert metadata["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]

    # Re-materialising with another field replaces the partition's rows.
    assert _materialize(warehouse, partitions, SentenceTransformerEmbedder(embedded_field="title_summary")).success
    assert _rows(warehouse, "SELECT count(*), min(embedded_field) FROM article_embeddings") == [(2, "title_summary")]


def test_embedding_check_fails_on_a_missing_or_denormalised_embedding(warehouse, partitions):
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    assert _materialize(warehouse, partitions, SentenceTransformerEmbedder()).success
    with warehouse.get_connection() as conn:
        conn.execute("UPDATE article_embeddings SET embedding = list_transform(embedding, lambda x: x * 2) WHERE article_id = 'a1'")
    assert embeddings_complete(warehouse, MX_ES).metadata["not_unit_length"].value == 1
    with warehouse.get_connection() as conn:
        conn.execute("DELETE FROM article_embeddings WHERE article_id = 'a1'")
    check = embeddings_complete(warehouse, MX_ES)
    assert not check.passed and check.metadata["articles_mismatched"].value == 1


def test_a_model_of_another_dimension_is_refused(warehouse, partitions):
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    with warehouse.get_connection() as conn:
        conn.execute("CREATE TABLE article_embeddings (country VARCHAR, language VARCHAR, article_id VARCHAR, embedding FLOAT[3])")
    with pytest.raises(Exception, match="every partition must use one model"):
        _materialize(warehouse, partitions, SentenceTransformerEmbedder())


def test_stored_embeddings_of_another_length_are_refused(warehouse, partitions):
    """The list column holds any length: the asset itself keeps one dimension per table."""
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    with warehouse.get_connection() as conn:
        conn.execute(
            "CREATE TABLE article_embeddings (country VARCHAR, language VARCHAR, article_id VARCHAR, embedding FLOAT[],"
            " embedding_model VARCHAR, embedding_dim INTEGER, embedded_field VARCHAR)"
        )
        conn.execute("INSERT INTO article_embeddings VALUES ('FR', 'fr', 'f1', [0.6, 0.8], 'other', 2, 'summary')")
    with pytest.raises(Exception, match=r"holds \[2\]-dimension embeddings.*every partition must use one model"):
        _materialize(warehouse, partitions, SentenceTransformerEmbedder())


def test_the_check_names_the_tables_not_written_yet(warehouse):
    check = embeddings_complete(warehouse, MX_ES)
    assert not check.passed and check.metadata["error"].value == "missing tables: article_summaries, article_embeddings"
