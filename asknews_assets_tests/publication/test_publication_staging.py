"""Publication logic without Dagster or a server: names, shards, cards, bundles and the local folder."""

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from asknews_assets.publication.bundle import Bundle, PublicationError
from asknews_assets.publication.cards import parse_card, size_category
from asknews_assets.publication.local import list_files, publish_to_folder, read_refs, repo_path, revision_path
from asknews_assets.dataset.export import PARQUET_SCHEMA
from asknews_assets.publication.naming import InvalidName, shard_path, validate_repo_id, version_tag
from asknews_assets.publication.sharding import shard_split
from asknews_assets.publication.staging import model_files, stage_dataset, stage_model
from asknews_assets_tests.support.data.artefacts import (
    SPLIT_SIZES,
    evaluation_rows,
    export_rows,
    write_dataset_export,
    write_model_folder,
)

# Names.


def test_version_tags_and_repo_ids():
    assert version_tag("v-0123456789ab") == "v-0123456789ab"
    assert version_tag("1.0+local build") == "1.0-local-build"
    assert version_tag("a..b/c") == "a.b-c"
    for bad in ("", "...", "+"):
        with pytest.raises(InvalidName):
            version_tag(bad)
    assert validate_repo_id("EmergentMethods/gliner_small_news-v2.1")
    for bad in ("name-only", "org/-name", "org/na--me", "../x", "org/name/extra", "org/name."):
        with pytest.raises(InvalidName):
            validate_repo_id(bad)
    assert shard_path("test_heldout_topics", 1, 12) == "data/test_heldout_topics-00001-of-00012.parquet"
    with pytest.raises(InvalidName):
        shard_path("../train", 0, 1)
    assert [size_category(n) for n in (999, 5049, 10_000)] == ["n<1K", "1K<n<10K", "10K<n<100K"]


# Shards.


def test_shards_are_contiguous_equal_and_deterministic(tmp_path):
    source = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_pylist(export_rows("train", 10, "v1"), schema=PARQUET_SCHEMA), source)
    shards = shard_split(source, "train", tmp_path / "a", max_shard_bytes=source.stat().st_size // 3)
    assert [s.path_in_repo for s in shards] == [f"data/train-0000{i}-of-00004.parquet" for i in range(4)]
    assert [s.rows for s in shards] == [3, 3, 2, 2]
    joined = pa.concat_tables(pq.read_table(s.local) for s in shards)
    assert joined.equals(pq.read_table(source)) and joined.schema.equals(PARQUET_SCHEMA)
    again = shard_split(source, "train", tmp_path / "b", max_shard_bytes=source.stat().st_size // 3)
    assert [s.local.read_bytes() for s in again] == [s.local.read_bytes() for s in shards]


def test_an_empty_split_is_one_shard_with_the_schema(tmp_path):
    source = tmp_path / "test.parquet"
    pq.write_table(PARQUET_SCHEMA.empty_table(), source)
    (shard,) = shard_split(source, "test", tmp_path)
    assert shard.path_in_repo == "data/test-00000-of-00001.parquet" and shard.rows == 0
    assert pq.read_table(shard.local).schema.equals(PARQUET_SCHEMA)


# Cards.


def test_dataset_card_is_generated_from_the_manifest_and_the_shards(tmp_path):
    export = write_dataset_export(tmp_path / "export", "v-aaa")
    staged = stage_dataset(export, "v-aaa", "acme/AskNews-NER", tmp_path / "work", max_shard_bytes=2_000)
    front, body = parse_card(staged.card)

    assert front["license"] == "apache-2.0" and front["language"] == ["en"]
    assert front["task_categories"] == ["token-classification"] and front["task_ids"] == ["named-entity-recognition"]
    assert front["size_categories"] == ["n<1K"] and front["annotations_creators"] == ["machine-generated"]
    assert front["configs"] == [{"config_name": "default", "data_files": [
        {"split": s, "path": f"data/{s}-*"} for s in SPLIT_SIZES]}]  # fmt: skip
    assert set(staged.bundle.files) == {"README.md", *(p for s in staged.splits for p in s.shards)}
    assert all(p.startswith("data/") and p.endswith(".parquet") for s in staged.splits for p in s.shards)
    assert {s.name: (s.documents, s.entities, s.tokens) for s in staged.splits}["train"] == (6, 12, 48)
    # Figures in the body: split table, per-language/country counts, provenance, diversity, grounding, usage.
    assert "| train | 6 | 12 | 48 |" in body
    assert "| DE | Germany | 7 | 58.3% |" in body
    assert "backend extractive, model extractive(max_words=100), prompt_version extractive-v1 (12 documents)" in body
    assert "| topic_entropy | 0.910 | 0.620 | 0.950 | better |" in body
    assert "| largest_topic_share | 0.210 | 0.440 | 0.200 | better |" in body
    assert "12.5% of the entities the annotator proposed could not be located" in body
    assert 'load_dataset("acme/AskNews-NER", revision="v-aaa")' in body
    assert "published between 2024-03-10 and 2024-03-15" in body and "`Elections`" in body
    # The supply by language, from the manifest, with a total; the licence from the sources.
    assert "| de | 40 | 30 | 6 | 4 | 2 | 28 |" in body and "| total | 45 | 30 | 6 | 9 | 2 | 28 |" in body
    assert "`apache-2.0`: the licence of every source article." in body and "source_datasets" not in front
    assert "source `files`" in body


def test_dataset_staging_refuses_an_export_that_disagrees_with_its_manifest(tmp_path):
    export = write_dataset_export(tmp_path / "export", "v-aaa")
    with pytest.raises(PublicationError, match="describes version"):
        stage_dataset(export, "v-bbb", "acme/data", tmp_path / "w1")
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["splits"]["train"] = 7
    (export / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PublicationError, match="has 6 rows, the manifest says 7"):
        stage_dataset(export, "v-aaa", "acme/data", tmp_path / "w2")


def test_model_card_carries_the_hub_metadata_and_the_before_after_table(tmp_path):
    model = write_model_folder(tmp_path / "model")
    bundle, card = stage_model(
        model_path=model, repo_id="acme/gliner_small_news", variant="small", model_version="m-1",
        base_model="urchade/gliner_small-v2.1", dataset_repo_id="acme/AskNews-NER", data_version="v-aaa",
        evaluations=pd.DataFrame(evaluation_rows("small", "m-1")), work_dir=tmp_path / "work",
    )  # fmt: skip
    front, body = parse_card(card)
    assert front["library_name"] == "gliner" and front["pipeline_tag"] == "token-classification"
    assert front["base_model"] == "urchade/gliner_small-v2.1" and front["datasets"] == ["acme/AskNews-NER"]
    assert front["license"] == "apache-2.0" and front["language"] == ["en"]
    # model-index: one result per benchmark, zero-shot sets first in the literature's order, names as published.
    results = front["model-index"][0]["results"]
    assert [(r["dataset"]["name"], r["dataset"]["type"], r["dataset"]["split"], r["metrics"][2]["value"])
            for r in results] == [("MIT Movie", "mit-movie", "test", 0.55), ("CrossNER AI", "CrossNER_AI", "test", 0.5),
                                  ("news", "news", "test", 0.7)]  # fmt: skip
    assert [m["type"] for m in results[0]["metrics"]] == ["precision", "recall", "f1"]
    assert results[0]["task"] == {"type": "token-classification", "name": "Named Entity Recognition"}
    assert "| CrossNER AI | 20 | 45.0% | 35.0% | 40.0% | 55.0% | 45.0% | 50.0% | +10.0 pt |" in body
    assert "| **Average (zero-shot, 2 of 7 sets)** | 40 |  |  | 45.0% |  |  | 52.5% | +7.5 pt |" in body
    assert "| **Average (all 3 benchmarks)** | 60 |  |  | 50.0% |  |  | 58.3% | +8.3 pt |" in body
    assert "Average F1 change: **+8.3 points** over\n3 benchmarks" in body
    assert "(MIT Movie, CrossNER AI): base 45.0%, this model 52.5%." in body
    # The card is one the Hub's own parser reads back, model-index included.
    from huggingface_hub import ModelCard, metadata_load

    parsed = ModelCard(card)
    assert [r.dataset_type for r in parsed.data.eval_results][:3] == ["mit-movie", "mit-movie", "mit-movie"]
    assert len(parsed.data.eval_results) == 9 and parsed.data.model_name == "gliner_small_news"
    (tmp_path / "README.md").write_text(card, encoding="utf-8")
    assert metadata_load(tmp_path / "README.md")["model-index"] == front["model-index"]
    assert 'GLiNER.from_pretrained("acme/gliner_small_news", revision="m-1")' in body
    assert "revision `v-aaa`" in body and "| person | 40.0% | 50.0% |" in body
    assert bundle.tag == "m-1" and bundle.repo_type == "model"

    # A base model built from a local folder is no Hub reference: left out of the metadata.
    _, local_card = stage_model(
        model_path=model, repo_id="acme/gliner_small_news", variant="small", model_version="m-1",
        base_model="/data/cache/minilm", dataset_repo_id="acme/AskNews-NER", data_version="v-aaa",
        evaluations=pd.DataFrame(evaluation_rows("small", "m-1")), work_dir=tmp_path / "work",
    )  # fmt: skip
    assert "base_model" not in parse_card(local_card)[0]


def test_model_card_needs_base_and_finetuned_results(tmp_path):
    rows = [r for r in evaluation_rows("small", "m-1") if r["model"] == "finetuned"]
    with pytest.raises(ValueError, match="both the 'base' and the 'finetuned'"):
        stage_model(
            model_path=write_model_folder(tmp_path / "model"), repo_id="acme/m", variant="small", model_version="m-1",
            base_model="b", dataset_repo_id="acme/d", data_version="v", evaluations=pd.DataFrame(rows),
            work_dir=tmp_path,
        )  # fmt: skip


def test_model_files_are_weights_config_and_tokenizer_only(tmp_path):
    folder = write_model_folder(tmp_path / "model")
    assert sorted(model_files(folder)) == ["gliner_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(PublicationError, match="no .safetensors weights"):
        model_files(folder)


# The local folder publisher's store.


def _bundle(tmp_path: Path, version: str, files: dict[str, str]) -> Bundle:
    local = {}
    for path, text in files.items():
        target = tmp_path / "src" / version / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        local[path] = target
    return Bundle("acme/data", "dataset", version, local, commit_message=f"version {version}")


def _contents(folder: Path) -> dict[str, str]:
    return {path: (folder / path).read_text() for path in list_files(folder)}


def test_local_folder_swaps_main_atomically_and_keeps_every_tag(tmp_path):
    root = tmp_path / "publish"
    v1 = {"README.md": "one", "data/train-00000-of-00002.parquet": "a", "data/train-00001-of-00002.parquet": "b"}
    v2 = {"README.md": "two", "data/train-00000-of-00001.parquet": "ab"}
    first = publish_to_folder(root, _bundle(tmp_path, "v1", v1))
    second = publish_to_folder(root, _bundle(tmp_path, "v2", v2))

    assert _contents(repo_path(root, "acme/data")) == v2  # main: exactly the last publication
    assert os.path.islink(repo_path(root, "acme/data"))
    assert set(second.deleted) == {"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"}
    assert read_refs(root, "acme/data") == {"main": second.commit, "tags": {"v1": first.commit, "v2": second.commit}}
    assert _contents(revision_path(root, "acme/data", "v1")) == v1  # every version stays readable
    assert sorted(os.listdir(root)) == [".hub", "acme"] and os.listdir(root / "acme") == ["data"]  # no leftovers

    # The same content again: the same commit, nothing new written.
    snapshots = sorted((root / ".hub/acme/data/commits").iterdir())
    assert publish_to_folder(root, _bundle(tmp_path, "v2", v2)).commit == second.commit
    assert sorted((root / ".hub/acme/data/commits").iterdir()) == snapshots

    # A version names one content: other files under an existing tag are refused, main untouched.
    with pytest.raises(PublicationError, match="already points at commit"):
        publish_to_folder(root, _bundle(tmp_path, "v1", {"README.md": "changed"}))
    assert _contents(repo_path(root, "acme/data")) == v2


def test_published_gliner_config_names_the_encoder_not_a_local_path(tmp_path):
    from asknews_assets.embeddings.models import PACKAGED_MODEL_NAME, packaged_minilm_path
    from asknews_assets.publication.staging import _portable_gliner_config

    config = tmp_path / "gliner_config.json"
    config.write_text(json.dumps({"model_name": str(packaged_minilm_path()), "max_width": 8}))
    (tmp_path / "work").mkdir()
    portable = json.loads(_portable_gliner_config(config, tmp_path / "work").read_text())
    assert portable == {"model_name": PACKAGED_MODEL_NAME, "max_width": 8}
    config.write_text(json.dumps({"model_name": "urchade/gliner_small-v2.1"}))
    assert _portable_gliner_config(config, tmp_path / "work") == config
