"""Fine-tune one GLiNER variant on a dataset export: the body of `finetuned_gliner`, shared by the
in-process step and the Pipes workload (pipes_entrypoint), so both train and report the same way;
and the model registry row the asset writes from what either reported."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dagster import MetadataValue

from asknews_assets import settings
from asknews_assets.dataset.export import TRAIN, VALIDATION, load_dataset_export
from asknews_assets.models.training import TrainingSettings, loss_curve_figure, model_version, train_gliner
from asknews_assets.metadata import png


def finetune(
    variant: str,
    dataset_dir: Path,
    training: TrainingSettings,
    base_models: Any,
    keep_checkpoints: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train the variant's base model (a GlinerBaseModels resource) into
    <model_store_dir>/gliner-<variant>/<model_version>/ and return the materialization metadata."""
    started = time.perf_counter()
    dataset = load_dataset_export(dataset_dir)
    base_model = base_models.reference(variant)
    version = model_version(dataset.version, base_models.fingerprint(variant), training)
    model_dir = settings.current().model_store_dir / f"gliner-{variant}" / version
    log(f"fine-tuning {base_model} on dataset {dataset.version} into {model_dir}")

    model = base_models.load(variant)
    result = train_gliner(
        model,
        dataset.split(TRAIN),
        model_dir,
        training,
        entity_types=dataset.entity_types,
        eval_rows=dataset.split(VALIDATION),
        report=lambda point: log(f"step {point['step']}: loss {point['loss']:.3f}"),
        keep_checkpoints=keep_checkpoints,
    )
    return {
        "model_version": version,
        "model_path": MetadataValue.path(str(model_dir)),
        "base_model": base_model,
        "base_model_backend": base_models.backend,
        "data_version": dataset.version,
        "dataset_path": MetadataValue.path(str(dataset.path)),
        "steps": result.steps,
        "examples": result.examples,
        "train_seconds": round(result.train_seconds, 1),
        "wall_seconds": round(time.perf_counter() - started, 1),  # loading, windowing, validation, saving too
        "steps_per_second": round(result.steps_per_second, 3),
        "final_loss": result.loss_history[-1]["loss"] if result.loss_history else None,
        "eval_loss": result.eval_loss,
        "resumed_from": result.resumed_from or "",
        "parameters": sum(p.numel() for p in model.parameters()),
        "loss_curve": png(loss_curve_figure(result.loss_history, f"gliner-{variant} {version}")),
        "settings": MetadataValue.json(asdict(training)),
    }


def registry_row(variant: str, metadata: dict[str, Any], created_at: datetime | None = None) -> dict[str, Any]:
    """The model registry row of one training run, from its metadata: finetune()'s own (plain values
    and MetadataValues) or the same metadata as it came back through Pipes (MetadataValues only)."""

    def value(key: str) -> Any:
        return metadata[key].value if isinstance(metadata[key], MetadataValue) else metadata[key]

    return {
        "variant": variant,
        "model_version": value("model_version"),
        "model_path": str(value("model_path")),
        "base_model": value("base_model"),
        "data_version": value("data_version"),
        "steps": value("steps"),
        "train_seconds": value("train_seconds"),
        "created_at": created_at or datetime.now(timezone.utc),
    }
