"""The dataset step as one plain function: the annotated articles and what is known about them in,
the splits, the export's content and manifest, and the per-split figures out.

Nothing is written here: the asset writes the export (`export.write_export`) and the
`dataset_splits` table from what `build_dataset` returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from asknews_assets.annotation.records import entity_type_counts, spans_of
from asknews_assets.dataset.export import ALL_SPLITS, build_manifest, content_version, recipe_rows, split_frames
from asknews_assets.dataset.splits import SplitResult, SplitSettings, assign_splits
from asknews_assets.supply import supply_by_language


@dataclass(frozen=True)
class DatasetInputs:
    """What the dataset is built from, as read from the warehouse. Besides the annotated articles and
    the coverage, each is empty (or None) when its table does not exist."""

    annotated: pd.DataFrame  # annotated_articles
    coverage: pd.DataFrame  # supply.stage_coverage: what each partition supplied to each stage
    embeddings: Mapping[str, np.ndarray] = field(default_factory=dict)  # by article id
    embedding_models: Mapping[str, str] = field(default_factory=dict)  # by article id
    entity_types: Sequence[str] = ()  # the annotation's schema, in order
    diversity: pd.DataFrame = field(default_factory=pd.DataFrame)  # diversity_metrics
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)  # annotation_quality
    unroutable: pd.DataFrame | None = None  # source_unroutable
    licenses: Mapping[str, str] = field(default_factory=dict)  # by article id
    source_backends: Sequence[str] = ()


@dataclass(frozen=True)
class DatasetBuild:
    split: SplitResult
    frames: dict[str, pd.DataFrame]  # annotated rows of each split
    document: dict[str, list[dict[str, Any]]]  # the recipe's JSON
    manifest: dict[str, Any]
    licenses: dict[str, int]  # documents per source licence

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def assignments(self) -> list[dict[str, str]]:
        """The `dataset_splits` rows: each article's split, with the version."""
        return [{"article_id": a, "split": s, "version": self.version} for a, s in self.split.assignments.items()]

    def per_split(self, name: str) -> list[dict[str, Any]]:
        """How often each language, country or entity_type (`name`) occurs in each split."""
        if name == "entity_type":
            values = {n: [span[2] for ner in f["ner"] for span in spans_of(ner)] for n, f in self.frames.items()}
        else:
            values = {n: f[name].tolist() for n, f in self.frames.items()}
        return per_split_counts(values, name)


def per_split_counts(values_by_split: Mapping[str, Sequence[Any]], name: str) -> list[dict[str, Any]]:
    """One row per value: its count in each split (0 in a split not given) and in total, most frequent first."""
    counts = {split: Counter(values) for split, values in values_by_split.items()}
    return [
        {name: value, **{split: counts.get(split, Counter())[value] for split in ALL_SPLITS}, "total": total}
        for value, total in sum(counts.values(), Counter()).most_common()
    ]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.replace({np.nan: None}).to_dict("records")


def build_dataset(inputs: DatasetInputs, settings: SplitSettings) -> DatasetBuild:
    """Split the annotated articles, and build the export's content and manifest; the version is a
    hash of the content, so unchanged inputs give the same version."""
    annotated = inputs.annotated
    result = assign_splits(annotated[["article_id", "topic_id", "language"]], settings, inputs.embeddings)
    licenses = dict(sorted(Counter(inputs.licenses.get(a, "unknown") for a in result.assignments).items()))
    frames = split_frames(annotated, result.assignments)
    document = {name: recipe_rows(frames[name]) for name in ALL_SPLITS}
    topic_labels = dict(zip(annotated["topic_id"].astype(int), annotated["topic_label"], strict=True))
    manifest = build_manifest(
        content_version(document),
        frames,
        entity_types=list(inputs.entity_types) or sorted(entity_type_counts(annotated.to_dict("records"))),
        embedding_models=dict(Counter(inputs.embedding_models[a] for a in result.assignments if a in inputs.embedding_models)),
        diversity=_records(inputs.diversity),
        extra={
            "heldout_topics": [{"topic_id": t, "topic_label": topic_labels.get(t)} for t in result.heldout_topics],
            "annotation_quality": _records(inputs.quality),
            "excluded": result.excluded,
            "near_duplicate_groups": result.near_duplicate_groups,
            "articles_without_embedding": int(sum(1 for a in annotated["article_id"] if a not in inputs.embeddings)),
            # What the source supplied, by language, and the licences of the articles in the dataset.
            "supply": supply_by_language(inputs.coverage, inputs.unroutable),
            "licenses": licenses,
            "source_backends": list(inputs.source_backends),
            "split_config": {
                **settings.ratios,
                "heldout_topics": settings.heldout_topics,
                "heldout_topic_share": settings.heldout_topic_share,
                "seed": settings.seed,
                "near_duplicate_threshold": settings.near_duplicate_threshold,
            },
        },
    )
    return DatasetBuild(result, frames, document, manifest, licenses)
