"""Bundles for the Hub: the dataset export as shards plus card, a model folder plus card.

Generated files (shards, README.md) are written under a working folder the caller owns; model
weights are referenced where they are, not copied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from asknews_assets.dataset.export import DatasetExportMismatch, DatasetExportMissing, read_manifest, split_file
from asknews_assets.publication.bundle import HUB_MANAGED_FILES, Bundle, PublicationError
from asknews_assets.publication.cards import SplitSummary, dataset_card, model_card
from asknews_assets.publication.licenses import LicenseConflict, dataset_license
from asknews_assets.publication.naming import validate_split, version_tag
from asknews_assets.publication.sharding import DEFAULT_MAX_SHARD_BYTES, shard_split

CARD_FILE = "README.md"
# Trainer state that may sit next to the weights and is no part of a released model.
TRAINING_LEFTOVERS = frozenset({"optimizer.pt", "scheduler.pt", "trainer_state.json", "training_args.bin", "rng_state.pth"})


@dataclass(frozen=True)
class StagedDataset:
    bundle: Bundle
    card: str
    manifest: dict[str, Any]
    splits: tuple[SplitSummary, ...]


def _publication_window(tables: list) -> tuple[str, str] | None:
    """First and last article_pubDate (ISO strings) over the splits, when the metadata records them."""
    dates = []
    for table in tables:
        metadata = table.schema.field("metadata").type if "metadata" in table.column_names else None
        if metadata is not None and pa.types.is_struct(metadata):
            if "article_pubDate" in [field.name for field in metadata]:
                column = pc.struct_field(table["metadata"], "article_pubDate")
                dates.extend(d[:10] for d in column.to_pylist() if d)
    return (min(dates), max(dates)) if dates else None


def stage_dataset(
    dataset_path: Path,
    version: str,
    repo_id: str,
    work_dir: Path,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    configured_license: str = "",
) -> StagedDataset:
    """Shards of every split the manifest lists, and the dataset card, checked against the manifest.

    The card's licence comes from the source licences the manifest records (see
    publication.licenses); where they conflict with each other or with `configured_license`,
    publication is refused with the reason.
    """
    try:
        manifest = read_manifest(dataset_path, version)
    except (DatasetExportMissing, DatasetExportMismatch) as problem:
        raise PublicationError(str(problem)) from None
    try:
        license = dataset_license(manifest.get("licenses") or {}, configured_license)
    except LicenseConflict as conflict:
        raise PublicationError(f"dataset {version} is not published: {conflict}") from None
    work_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    summaries, tables = [], []
    for split, expected in manifest["splits"].items():
        source = dataset_path / split_file(validate_split(split))
        if not source.is_file():
            raise PublicationError(f"{source} does not exist, though the manifest lists split {split!r}")
        shards = shard_split(source, split, work_dir, max_shard_bytes)
        table = pq.read_table(source, columns=[c for c in ("tokenized_text", "ner", "metadata") if c in pq.read_schema(source).names])
        if table.num_rows != expected:
            raise PublicationError(f"split {split!r} has {table.num_rows} rows, the manifest says {expected}")
        summaries.append(
            SplitSummary(
                name=split,
                documents=table.num_rows,
                entities=int(pc.sum(pc.list_value_length(table["ner"])).as_py() or 0),
                tokens=int(pc.sum(pc.list_value_length(table["tokenized_text"])).as_py() or 0),
                shards=tuple(s.path_in_repo for s in shards),
            )
        )
        tables.append(table)
        files.update({s.path_in_repo: s.local for s in shards})
    card = dataset_card(
        repo_id=repo_id,
        version=version,
        tag=version_tag(version),
        manifest=manifest,
        splits=summaries,
        license=license,
        published_between=_publication_window(tables),
    )
    (work_dir / CARD_FILE).write_text(card, encoding="utf-8")
    files[CARD_FILE] = work_dir / CARD_FILE
    bundle = Bundle(repo_id, "dataset", version, files, commit_message=f"Dataset version {version}")
    return StagedDataset(bundle, card, manifest, tuple(summaries))


def model_files(model_path: Path) -> dict[str, Path]:
    """The released files of a saved GLiNER model: weights, config, tokenizer (no hidden files, checkpoints or trainer state)."""
    if not model_path.is_dir():
        raise PublicationError(f"model folder {model_path} does not exist")
    files = {}
    for local in sorted(model_path.rglob("*")):
        relative = local.relative_to(model_path)
        if not local.is_file() or any(part.startswith(".") or part.startswith("checkpoint-") for part in relative.parts):
            continue
        if relative.name in TRAINING_LEFTOVERS or relative.as_posix() in HUB_MANAGED_FILES | {CARD_FILE}:
            continue
        files[relative.as_posix()] = local
    if not any(path.endswith(".safetensors") for path in files):
        raise PublicationError(f"{model_path} holds no .safetensors weights; save the model with safe_serialization=True")
    if "gliner_config.json" not in files:
        raise PublicationError(f"{model_path} holds no gliner_config.json: not a saved GLiNER model")
    return files


def _portable_gliner_config(config_path: Path, work_dir: Path) -> Path:
    """The GLiNER config with its encoder named by Hub id, not by a path on the training machine.

    GLiNER records the encoder it was built from (`model_name`); a model built on a local folder
    would otherwise publish that folder's absolute path. Loading the published model does not read
    it, but users and the Hub's model tree do.
    """
    from asknews_assets.embeddings.models import PACKAGED_MODEL_NAME, packaged_minilm_path

    config = json.loads(config_path.read_text(encoding="utf-8"))
    encoder = config.get("model_name")
    if not isinstance(encoder, str) or not Path(encoder).is_absolute():
        return config_path
    try:
        packaged = Path(encoder).resolve() == packaged_minilm_path().resolve()
    except RuntimeError:
        packaged = False
    config["model_name"] = PACKAGED_MODEL_NAME if packaged else Path(encoder).name
    portable = work_dir / "gliner_config.json"
    portable.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return portable


def stage_model(
    *,
    model_path: Path,
    repo_id: str,
    variant: str,
    model_version: str,
    base_model: str,
    dataset_repo_id: str,
    data_version: str,
    evaluations: pd.DataFrame,
    work_dir: Path,
) -> tuple[Bundle, str]:
    """The model folder's files and a model card with the before/after evaluation table."""
    files = model_files(model_path)
    work_dir.mkdir(parents=True, exist_ok=True)
    files["gliner_config.json"] = _portable_gliner_config(files["gliner_config.json"], work_dir)
    card = model_card(
        repo_id=repo_id,
        variant=variant,
        model_version=model_version,
        tag=version_tag(model_version),
        base_model=base_model,
        dataset_repo_id=dataset_repo_id,
        data_version=data_version,
        data_tag=version_tag(data_version) if data_version else "main",
        evaluations=evaluations,
    )
    (work_dir / CARD_FILE).write_text(card, encoding="utf-8")
    files[CARD_FILE] = work_dir / CARD_FILE
    return Bundle(repo_id, "model", model_version, files, commit_message=f"Model version {model_version}"), card

