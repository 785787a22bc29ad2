"""The dataset export format: files, split names, manifest and the reader of an export folder."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from asknews_assets.dataset.export import (
    ALL_SPLITS,
    DATASET_FILE,
    EVALUATION_SPLITS,
    EXPORT_FILES,
    HELDOUT,
    MANIFEST_FILE,
    DatasetExportMismatch,
    DatasetExportMissing,
    load_dataset_export,
    read_manifest,
    split_file,
    training_rows,
    write_export,
)

ROW = {"tokenized_text": ["Ada", "met", "Bob"], "ner": [[0, 0, "person"], [2, 2, "person"]], "metadata": {"articleId": "a1"}}


def _frame(article_id: str) -> pd.DataFrame:
    metadata = {"source_country": "FR", "article_language": "fr", "article_pubDate": None, "topic": "t", "articleId": article_id}
    return pd.DataFrame(
        [{"article_id": article_id, "tokenized_text": ["Ada", "met", "Bob"], "ner": json.dumps([[0, 0, "person"]]),
          "metadata": json.dumps(metadata)}]  # fmt: skip
    )


def test_split_names_and_files_of_an_export():
    assert ALL_SPLITS == ("train", "validation", "test", "test_heldout_topics") and HELDOUT == ALL_SPLITS[-1]
    assert EVALUATION_SPLITS == ("test", "test_heldout_topics")
    assert split_file("train") == "train.parquet"
    assert set(EXPORT_FILES) == {DATASET_FILE, MANIFEST_FILE, *(f"{name}.parquet" for name in ALL_SPLITS)}


def test_an_export_written_is_read_back_whole(tmp_path):
    frames = {name: _frame(f"{name}-1") for name in ALL_SPLITS}
    document = {name: [{**ROW, "metadata": {"articleId": f"{name}-1"}}] for name in ALL_SPLITS}
    manifest = {"version": "v-abc", "splits": dict.fromkeys(ALL_SPLITS, 1), "entity_types": ["person", "city"]}
    folder = write_export(tmp_path, document, frames, manifest)

    assert folder == tmp_path / "v-abc" and sorted(p.name for p in folder.iterdir()) == sorted(EXPORT_FILES)
    assert read_manifest(folder, "v-abc") == manifest
    export = load_dataset_export(folder)
    assert (export.version, export.entity_types, export.path) == ("v-abc", ["person", "city"], folder)
    assert export.split("train") == document["train"] and export.split("unknown") == []
    assert pq.read_table(folder / split_file(HELDOUT)).column("article_id").to_pylist() == [f"{HELDOUT}-1"]


def test_the_manifest_reader_names_what_is_wrong(tmp_path):
    with pytest.raises(DatasetExportMissing, match="the dataset_path of version v-1 is not a dataset export"):
        read_manifest(tmp_path, "v-1")
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"version": "v-1"}))
    assert read_manifest(tmp_path) == {"version": "v-1"}
    with pytest.raises(DatasetExportMismatch, match="describes version 'v-1', not 'v-2'"):
        read_manifest(tmp_path, "v-2")


def test_an_export_without_manifest_takes_its_version_from_the_folder_and_types_from_the_rows(tmp_path):
    folder = tmp_path / "v-folder"
    folder.mkdir()
    (folder / DATASET_FILE).write_text(json.dumps({"train": [ROW, {**ROW, "ner": [[1, 1, "verb"]]}]}))
    export = load_dataset_export(folder)
    assert (export.version, export.entity_types) == ("v-folder", ["person", "verb"])
    with pytest.raises(DatasetExportMissing, match="materialize the dataset_splits asset first"):
        load_dataset_export(tmp_path / "nothing")


def test_training_rows_keep_only_tokens_and_spans():
    rows = training_rows([{**ROW, "ner": [(0, 0, "person")]}, {"tokenized_text": [], "ner": []}])
    assert rows == [{"tokenized_text": ["Ada", "met", "Bob"], "ner": [[0, 0, "person"]]}]
