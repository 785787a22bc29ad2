"""The Pipes workload of finetuned_gliner: `python -m asknews_assets.models.pipes_entrypoint`,
launched by the asset through a Pipes client (see models.pipes). It runs the same finetune()
as the in-process step and reports its metadata, model path included, back to Dagster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster_pipes import open_dagster_pipes

# Pipes metadata types of the MetadataValue kinds finetune() returns; plain values are inferred.
PIPES_TYPES = {"PathMetadataValue": "path", "MarkdownMetadataValue": "md", "JsonMetadataValue": "json"}


def to_pipes_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    converted = {}
    for key, value in metadata.items():
        kind = PIPES_TYPES.get(type(value).__name__)
        if kind is None and hasattr(value, "value"):
            raise TypeError(f"no Pipes metadata type for {key}: {type(value).__name__}")
        converted[key] = {"raw_value": value.value if kind == "json" else str(value.value), "type": kind} if kind else value
    return converted


def main() -> None:
    from asknews_assets.models.finetune import finetune
    from asknews_assets.models.pipes import base_models_from
    from asknews_assets.models.training import TrainingSettings

    with open_dagster_pipes() as pipes:
        extras = pipes.extras
        metadata = finetune(
            extras["variant"],
            Path(extras["dataset_path"]),
            TrainingSettings(**extras["training"]),
            base_models_from(extras),
            extras["keep_checkpoints"],
            pipes.log.info,
        )
        pipes.report_asset_materialization(metadata=to_pipes_metadata(metadata))


if __name__ == "__main__":
    main()
