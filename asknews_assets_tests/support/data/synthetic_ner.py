"""A small synthetic NER corpus in GLiNER's row format, for tests and benchmarks that must run
without the real dataset: template news sentences with people, organisations, cities and countries.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from asknews_assets.dataset.export import DATASET_FILE, MANIFEST_FILE

ENTITY_TYPES = ["person", "organization", "city", "country"]
# The smallest export and fine-tuning run that still go through every step of training and evaluation.
SIZES = {"train": 8, "validation": 2, "test": 4, "test_heldout_topics": 3}
FEW_STEPS = {"max_steps": 2, "batch_size": 2, "save_steps": 1000}

_POOLS = {
    "person": [
        "Angela Merkel", "Joe Biden", "Emmanuel Macron", "Olaf Scholz", "Giorgia Meloni", "Pedro Sanchez", "Ana Silva",
        "Lars Jensen",
    ],
    "organization": [
        "the United Nations", "Siemens", "Reuters", "the World Bank", "Petrobras", "NATO", "Volkswagen", "UNICEF",
    ],
    "city": ["Berlin", "Paris", "Madrid", "Lisbon", "Oslo", "Rome", "Kyiv", "Stockholm"],
    "country": ["Germany", "France", "Spain", "Portugal", "Norway", "Italy", "Ukraine", "Sweden"],
}
_TEMPLATES = [
    "{person} met officials from {organization} in {city} on Monday .",
    "Leaders of {country} said {organization} would open an office in {city} .",
    "{person} told reporters that {country} supports the plan .",
    "Protesters gathered in {city} as {person} arrived from {country} .",
    "{organization} reported higher profits after a strong year in {country} .",
    "The talks between {person} and {organization} ended without a deal .",
]


def synthetic_document(rng: random.Random, sentences: int) -> dict[str, Any]:
    tokens: list[str] = []
    spans: list[list[Any]] = []
    for _ in range(sentences):
        for piece in rng.choice(_TEMPLATES).split():
            if piece.startswith("{") and piece.endswith("}"):
                kind = piece[1:-1]
                words = rng.choice(_POOLS[kind]).split()
                spans.append([len(tokens), len(tokens) + len(words) - 1, kind])
                tokens.extend(words)
            else:
                tokens.append(piece)
    return {"tokenized_text": tokens, "ner": spans, "metadata": {"source": "synthetic"}}


def synthetic_rows(n: int, seed: int = 0, sentences: tuple[int, int] = (3, 8)) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [synthetic_document(rng, rng.randint(*sentences)) for _ in range(n)]


def write_synthetic_dataset(
    folder: str | Path,
    version: str = "synthetic-v1",
    sizes: dict[str, int] | None = None,
    seed: int = 0,
    sentences: tuple[int, int] = (3, 8),
) -> Path:
    """A dataset export as `dataset_splits` writes it (asknews_ner.json + manifest.json)."""
    sizes = sizes or {"train": 120, "validation": 15, "test": 15, "test_heldout_topics": 10}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    splits = {
        name: synthetic_rows(n, seed=seed + index, sentences=sentences) for index, (name, n) in enumerate(sizes.items())
    }
    (folder / DATASET_FILE).write_text(json.dumps(splits), encoding="utf-8")
    manifest = {
        "version": version,
        "splits": {name: len(rows) for name, rows in splits.items()},
        "entity_types": ENTITY_TYPES,
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return folder
