"""The versioned dataset export: the recipe's JSON, one Parquet file per split, and a manifest.

This module owns the format: the split names, the file names, the manifest (built and read) and
the reader of an export folder. The dataset stage writes it; training, evaluation, the checks and
publication read it through here.

    <dataset_store_dir>/<version>/
        asknews_ner.json     {"train": [...], "validation": [...], "test": [...], "test_heldout_topics": [...]}
                             rows {"tokenized_text": [...], "ner": [[start, end_inclusive, type], ...], "metadata": {...}}
        train.parquet ...    article_id, tokenized_text list<string>,
                             ner list<struct<start int32, end int32, label string>>, metadata struct<...>
        manifest.json        version, split sizes, counts, provenance, diversity, ...

The version is a short hash of the JSON's content ("v-<12 hex>"): the same splits give the same
folder, and any change of text, spans, metadata or assignment gives a new one. Folders are written
under a temporary name and renamed, so a reader never sees half an export; an existing version's
folder is never rewritten (it may be published), and nothing in it depends on when it was built,
so building unchanged inputs again writes nothing and publishes nothing new.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from asknews_assets.annotation.records import annotation_stats, entity_type_counts, spans_of, unattested_by_backend

TRAIN, VALIDATION, TEST, HELDOUT = "train", "validation", "test", "test_heldout_topics"
ALL_SPLITS = (TRAIN, VALIDATION, TEST, HELDOUT)
# The splits models are evaluated on: no near-duplicate of a training article may be in them.
EVALUATION_SPLITS = (TEST, HELDOUT)

DATASET_FILE = "asknews_ner.json"
MANIFEST_FILE = "manifest.json"


def split_file(name: str) -> str:
    return f"{name}.parquet"


EXPORT_FILES = (DATASET_FILE, MANIFEST_FILE, *(split_file(name) for name in ALL_SPLITS))

PARQUET_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("tokenized_text", pa.list_(pa.string())),
        ("ner", pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())]))),
        (
            "metadata",
            pa.struct(
                [
                    ("source_country", pa.string()),
                    ("article_language", pa.string()),
                    ("article_pubDate", pa.string()),
                    ("topic", pa.string()),
                    ("articleId", pa.string()),
                ]
            ),
        ),
    ]
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def split_frames(annotated: pd.DataFrame, assignments: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """The annotated rows of each split (every split present, possibly empty), ordered by article id."""
    assigned = annotated.assign(split=annotated["article_id"].map(assignments)).dropna(subset=["split"])
    return {
        name: assigned[assigned["split"] == name].sort_values("article_id").reset_index(drop=True) for name in ALL_SPLITS
    }


def recipe_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "tokenized_text": list(row["tokenized_text"]),
            "ner": [[int(s), int(e), str(t)] for s, e, t in spans_of(row["ner"])],
            "metadata": _json(row["metadata"]),
        }
        for row in frame.to_dict("records")
    ]


def content_version(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "v-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _count(values: Iterable[Any]) -> dict[str, int]:
    return {str(k): v for k, v in Counter(values).most_common()}


def _provenance_counts(rows: Iterable[Mapping[str, Any]], step: str) -> list[dict[str, Any]]:
    counts = Counter(
        tuple(sorted((k, v) for k, v in (_json(r["provenance"]) or {}).get(step, {}).items())) for r in rows
    )
    return [{**dict(key), "documents": n} for key, n in sorted(counts.items(), key=lambda item: -item[1])]


def dataset_provenance(rows: Sequence[Mapping[str, Any]], embedding_models: Mapping[str, int]) -> dict[str, Any]:
    """Which backends and models made the dataset's documents, with how many documents each."""
    return {
        "translation": _provenance_counts(rows, "translation"),
        "summary": _provenance_counts(rows, "summary"),
        "embedding": [{"model": m, "documents": n} for m, n in embedding_models.items()],
        "annotation": _provenance_counts(rows, "annotation"),
    }


def dataset_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    return {
        "language": _count(r["language"] for r in rows),
        "country": _count(r["country"] for r in rows),
        "topic": _count(r["topic_label"] if r["topic_label"] is not None else f"topic {r['topic_id']}" for r in rows),
        "entity_type": entity_type_counts(rows),
    }


def build_manifest(
    version: str,
    frames: Mapping[str, pd.DataFrame],
    *,
    entity_types: Sequence[str],
    embedding_models: Mapping[str, int],
    diversity: Sequence[Mapping[str, Any]],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    rows = [row for name in ALL_SPLITS for row in frames[name].to_dict("records")]
    stats = annotation_stats(rows)
    return {
        "version": version,
        "splits": {name: len(frames[name]) for name in ALL_SPLITS},
        "counts": dataset_counts(rows),
        "n_entities": stats["n_entities"],
        "ungrounded_rate": stats["ungrounded_rate"],
        "unknown_type_rate": stats["unknown_type_rate"],
        "unattested_rate": stats["unattested_rate"],
        "unattested_by_backend": unattested_by_backend(rows),
        "entity_types": list(entity_types),
        "provenance": dataset_provenance(rows, embedding_models),
        "diversity": [dict(r) for r in diversity],
        **(extra or {}),
    }


def _parquet_table(frame: pd.DataFrame) -> pa.Table:
    rows = [
        {
            "article_id": row["article_id"],
            "tokenized_text": list(row["tokenized_text"]),
            "ner": [{"start": int(s), "end": int(e), "label": str(t)} for s, e, t in spans_of(row["ner"])],
            "metadata": _json(row["metadata"]),
        }
        for row in frame.to_dict("records")
    ]
    return pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA)


def write_export(store: Path, document: Mapping[str, Any], frames: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]) -> Path:
    """Write the export folder `<store>/<manifest version>/`, unless that version is there already.

    The version names the content, and a complete folder (only complete ones are renamed into
    place) may have been published: it is kept as it is, byte for byte.
    """
    target = store / manifest["version"]
    if (target / MANIFEST_FILE).is_file():
        return target
    staging = store / f".{manifest['version']}.{uuid.uuid4().hex[:8]}.tmp"
    staging.mkdir(parents=True)
    try:
        (staging / DATASET_FILE).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        for name in ALL_SPLITS:
            pq.write_table(_parquet_table(frames[name]), staging / split_file(name))
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        if target.exists():  # a folder without a manifest: left by something else, not an export
            shutil.rmtree(target)
        try:
            staging.rename(target)
        except OSError:
            if not (target / MANIFEST_FILE).is_file():
                raise
            shutil.rmtree(staging)  # another run wrote the same version first: same content, keep theirs
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# --- reading an export ----------------------------------------------------------------------------


class DatasetExportMissing(FileNotFoundError):
    """No usable dataset export where one was expected."""


class DatasetExportMismatch(ValueError):
    """An export folder whose manifest describes another version than the one asked for."""


def read_manifest(folder: str | Path, version: str | None = None) -> dict[str, Any]:
    """The manifest of the export folder `folder`; with `version`, checked to describe that version."""
    path = Path(folder) / MANIFEST_FILE
    if not path.is_file():
        described = f"the dataset_path of version {version}" if version else str(folder)
        raise DatasetExportMissing(f"{path} does not exist: {described} is not a dataset export")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if version is not None and manifest.get("version") != version:
        raise DatasetExportMismatch(f"{path} describes version {manifest.get('version')!r}, not {version!r}")
    return manifest


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
    manifest = read_manifest(path) if (path / MANIFEST_FILE).is_file() else {}
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
