"""Reading a versioned dataset export written by the `dataset_splits` asset.

An export is a folder `<dataset_store_dir>/<version>/` with `asknews_ner.json`
({"train": [...], "validation": [...], "test": [...], "test_heldout_topics": [...]}, rows in
GLiNER's {"tokenized_text", "ner", "metadata"} format) and `manifest.json`
({"version", "splits", "entity_types", ...}).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASET_FILE = "asknews_ner.json"
MANIFEST_FILE = "manifest.json"


class DatasetExportMissing(FileNotFoundError):
    """No usable dataset export where one was expected."""


@dataclass(frozen=True)
class DatasetExport:
    path: Path
    version: str
    splits: dict[str, list[dict[str, Any]]]
    entity_types: list[str]

    def split(self, name: str) -> list[dict[str, Any]]:
        return self.splits.get(name) or []


def load_dataset_export(path: str | Path) -> DatasetExport:
    """The splits, version and entity types of an export folder. The version is the manifest's,
    else the folder name; entity types are the manifest's, else those the rows use."""
    path = Path(path)
    data_file = path / DATASET_FILE
    if not data_file.is_file():
        raise DatasetExportMissing(f"no {DATASET_FILE} in {path}: materialize the dataset_splits asset first")
    splits = json.loads(data_file.read_text(encoding="utf-8"))
    manifest_file = path / MANIFEST_FILE
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    entity_types = manifest.get("entity_types") or sorted(
        {span[2] for rows in splits.values() for row in rows for span in row.get("ner") or []}
    )
    return DatasetExport(path, str(manifest.get("version") or path.name), splits, list(entity_types))


def training_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only what GLiNER's collator reads: tokens and spans as lists of [start, end, type]."""
    return [
        {
            "tokenized_text": list(row["tokenized_text"]),
            "ner": [[int(s), int(e), str(t)] for s, e, t in row.get("ner") or []],
        }
        for row in rows
        if row.get("tokenized_text")
    ]
