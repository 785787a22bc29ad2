"""Fine-tuning as a Dagster Pipes workload: the asset stays in the graph (lineage, partitions,
metadata, retries) while pipes_entrypoint trains in another process, a local subprocess
(PipesSubprocessClient) or a pod on the GPU node pool (PipesK8sClient, production)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dagster import PipesClient, PipesSubprocessClient

from asknews_assets import settings
from asknews_assets.models.training import TrainingSettings
from asknews_assets.resources import models as model_resources

ENTRYPOINT = "asknews_assets.models.pipes_entrypoint"
TRAINING_IMAGE_ENV = "ASKNEWS_TRAINING_IMAGE"
# Where a training pod runs in production: a GPU node, tolerated on the GPU node pool's taint.
GPU_POD_SPEC = {
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "containers": [{"resources": {"limits": {"nvidia.com/gpu": "1", "memory": "24Gi"}}}],
}


def pipes_extras(
    variant: str, dataset_dir: Path, training: TrainingSettings, base_models: Any, keep_checkpoints: bool
) -> dict[str, Any]:
    """Everything the workload needs to train as the step would: plain JSON values."""
    return {
        "variant": variant,
        "dataset_path": str(dataset_dir),
        "training": asdict(training),
        "keep_checkpoints": keep_checkpoints,
        "base_models": {"class": type(base_models).__name__, "config": base_models.model_dump()},
    }


def base_models_from(extras: dict[str, Any]) -> Any:
    """The GlinerBaseModels resource the step had, rebuilt from its class name and configuration."""
    spec = extras["base_models"]
    cls = getattr(model_resources, spec["class"], None)
    if not (isinstance(cls, type) and issubclass(cls, model_resources.GlinerBaseModels)):
        raise ValueError(f"not a GlinerBaseModels class of asknews_assets.resources.models: {spec['class']!r}")
    return cls(**spec["config"])


def launch_training(client: PipesClient, context: Any, extras: dict[str, Any]):
    """Run pipes_entrypoint through the client; returns the completed invocation."""
    if isinstance(client, PipesSubprocessClient):
        return client.run(context=context, command=[sys.executable, "-m", ENTRYPOINT], extras=extras)
    image = settings.current().training_image
    if not image:
        raise RuntimeError(f"a training pod needs its image: set {TRAINING_IMAGE_ENV} (the code location's image)")
    return client.run(
        context=context, image=image, command=["python", "-m", ENTRYPOINT], extras=extras, base_pod_spec=GPU_POD_SPEC
    )
