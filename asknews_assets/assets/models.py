"""The model layer: GLiNER variants fine-tuned on the dataset, and their before/after evaluation.

`finetuned_gliner` fine-tunes each variant's base model (resource `gliner_base_models`) on the
latest `dataset_splits` export and saves it to `<model_store_dir>/gliner-<variant>/<model_version>/`
(loadable by `GLiNER.from_pretrained` alone). `model_evaluation` scores the base and the fine-tuned
model on the dataset's test splits and on every benchmark in a folder. Downstream assets find a
model through the `model_version` / `model_path` metadata of `finetuned_gliner`.
"""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    PipesClient,
    ResourceParam,
    asset,
)
from pydantic import Field

from asknews_assets import settings
from asknews_assets.execution import GPU_QUEUE_TAGS
from asknews_assets.releases import latest_materialization
from asknews_assets.dataset.export import EVALUATION_SPLITS, DatasetExportMissing, load_dataset_export
from asknews_assets.models.benchmarks import TypeNames
from asknews_assets.models.evaluation import EvaluationPlan, evaluate_variant
from asknews_assets.models.finetune import finetune, registry_row
from asknews_assets.models.inference import open_gliner
from asknews_assets.models.pipes import launch_training, pipes_extras
from asknews_assets.models.training import TrainingSettings
from asknews_assets.metadata import md
from asknews_assets.partitions import model_variant_partitions
from asknews_assets.resources.models import GlinerBaseModels, validate_variant
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse



def dataset_path(context: AssetExecutionContext, configured: str) -> Path:
    """The configured export folder, else the one the latest `dataset_splits` materialization wrote."""
    if configured:
        return Path(configured)
    latest = latest_materialization(context.instance, tables.DATASET_SPLITS.key)
    path = latest.metadata.get("dataset_path") if latest else None
    if not path:
        raise DatasetExportMissing(
            f"no dataset export found: materialize the '{tables.DATASET_SPLITS.asset}' asset first (its metadata"
            " names the dataset_path), or set dataset_path in this asset's config"
        )
    return Path(str(path))


class FinetuneConfig(Config):
    """Fine-tuning settings; every one of them enters the model version."""

    dataset_path: str = Field(default="", description="Dataset export folder; empty: the latest dataset_splits.")
    max_steps: int = Field(default=TrainingSettings.max_steps, description="Optimizer steps; 0: train `epochs` epochs.")
    epochs: float = Field(default=TrainingSettings.epochs, description="Epochs when max_steps is 0.")
    lr_encoder: float = Field(
        default=TrainingSettings.lr_encoder,
        description="Learning rate of the transformer encoder (pretrained Hub bases: try 1e-5).",
    )
    lr_others: float = Field(
        default=TrainingSettings.lr_others,
        description="Learning rate of the span and prompt layers (defaults suit the offline base's untrained layers;"
        " pretrained Hub bases: try 5e-5).",
    )
    batch_size: int = Field(default=TrainingSettings.batch_size)
    warmup_ratio: float = Field(default=TrainingSettings.warmup_ratio)
    weight_decay: float = Field(default=TrainingSettings.weight_decay)
    negatives: float = Field(
        default=TrainingSettings.negatives, description="Share of negative span x type pairs kept in the loss."
    )
    neg_type_ratio: int = Field(
        default=TrainingSettings.neg_type_ratio,
        description="Up to this many absent types per present type in a prompt.",
    )
    max_types: int = Field(default=TrainingSettings.max_types, description="Entity types per example prompt.")
    focal_loss_alpha: float = Field(default=TrainingSettings.focal_loss_alpha)
    focal_loss_gamma: float = Field(default=TrainingSettings.focal_loss_gamma)
    save_steps: int = Field(default=TrainingSettings.save_steps, description="Checkpoint every N steps.")
    save_total_limit: int = Field(default=TrainingSettings.save_total_limit)
    seed: int = Field(default=TrainingSettings.seed)
    keep_checkpoints: bool = Field(default=False, description="Keep checkpoints/ after the final save.")

    def training_settings(self) -> TrainingSettings:
        fields = TrainingSettings.__dataclass_fields__
        return TrainingSettings(**{name: value for name, value in self.model_dump().items() if name in fields})


@asset(
    partitions_def=model_variant_partitions,
    group_name="models",
    kinds={"pytorch", "duckdb"},
    tags={"stage": "models"},
    op_tags=GPU_QUEUE_TAGS,  # with ASKNEWS_EXECUTOR=celery: served by the GPU workers
    deps=[tables.DATASET_SPLITS.key],  # reads the export its metadata names, not the table
)
def finetuned_gliner(
    context: AssetExecutionContext,
    config: FinetuneConfig,
    gliner_base_models: GlinerBaseModels,
    warehouse: Warehouse,
    training_pipes: ResourceParam[PipesClient],
) -> MaterializeResult:
    """One GLiNER variant fine-tuned on the dataset's train split (validation loss reported), saved as
    safetensors + config + tokenizer in a versioned folder; registered in `finetuned_models`.
    ASKNEWS_TRAINING_RUNNER=pipes runs the training as a Pipes workload (training_pipes)."""
    variant = validate_variant(context.partition_key)
    source = dataset_path(context, config.dataset_path)
    training = config.training_settings()
    if settings.current().training_runner == "pipes":
        # The same finetune() in a Pipes workload: a subprocess here, a GPU pod in production.
        extras = pipes_extras(variant, source, training, gliner_base_models, config.keep_checkpoints)
        metadata = dict(launch_training(training_pipes, context, extras).get_materialize_result().metadata)
    else:
        metadata = finetune(variant, source, training, gliner_base_models, config.keep_checkpoints, context.log.info)

    row = registry_row(variant, metadata)
    with warehouse.get_connection() as conn:
        tables.FINETUNED_MODELS.replace_rows(conn, {"variant": variant, "model_version": row["model_version"]}, [row])
    return MaterializeResult(metadata={**metadata, "table": tables.FINETUNED_MODELS.name})


def latest_finetuned(context: AssetExecutionContext, variant: str) -> tuple[str, Path, str]:
    """(model_version, model_path, base_model) of the variant's latest fine-tuned model."""
    latest = latest_materialization(context.instance, tables.FINETUNED_MODELS.key, variant)
    if latest is None or "model_path" not in latest.metadata:
        raise FileNotFoundError(
            f"no fine-tuned model for variant {variant!r}: materialize finetuned_gliner[{variant}] first"
        )
    value = lambda key: str(latest.metadata[key])  # noqa: E731
    return value("model_version"), Path(value("model_path")), value("base_model")


class ModelEvaluationConfig(Config):
    threshold: float = Field(default=0.5, description="Score threshold of a predicted span.")
    batch_size: int = Field(default=8, description="Texts per inference batch.")
    benchmark_dir: str = Field(default="", description="Benchmark folder; empty: <ASKNEWS_DATA_DIR>/benchmarks.")
    dataset_path: str = Field(default="", description="Dataset export folder; empty: the latest dataset_splits.")
    benchmarks: list[str] = Field(
        default=[], description="Benchmarks of the folder to evaluate, by name (e.g. CrossNER_AI); empty: all."
    )
    max_sentences: int = Field(
        default=0,
        description="Evaluate at most the first this many sentences of each benchmark of the folder (the dataset's"
        " own splits run whole); 0: all.",
    )
    natural_type_names: bool = Field(
        default=True,
        description="Prompt with natural type names (programlang -> programming language); false: the tags"
        " lowercased, '_' read as a space.",
    )
    type_names: dict[str, str] = Field(
        default={}, description="Type-name map (raw tag -> name), applied over the default natural names."
    )

    def plan(self) -> EvaluationPlan:
        benchmark_dir = Path(self.benchmark_dir) if self.benchmark_dir else settings.current().data_dir / "benchmarks"
        type_names = TypeNames.natural(self.type_names) if self.natural_type_names else TypeNames(self.type_names)
        return EvaluationPlan(benchmark_dir, type_names, self.threshold, self.batch_size, self.max_sentences, self.benchmarks)


@asset(
    partitions_def=model_variant_partitions,
    group_name="models",
    kinds={"pytorch", "duckdb"},
    tags={"stage": "models"},
    op_tags=GPU_QUEUE_TAGS,  # with ASKNEWS_EXECUTOR=celery: served by the GPU workers
    deps=[tables.FINETUNED_MODELS.key],
)
def model_evaluation(
    context: AssetExecutionContext,
    config: ModelEvaluationConfig,
    gliner_base_models: GlinerBaseModels,
    warehouse: Warehouse,
) -> MaterializeResult:
    """Micro P/R/F1 (exact span + type) of the base and the fine-tuned model of one variant on the
    dataset's test and held-out-topic splits and on every benchmark found in the benchmark folder, each
    prompted with its declared label set in natural names; rows in `model_evaluations`, with the average
    over the seven zero-shot sets of the literature where they are present."""
    variant = validate_variant(context.partition_key)
    version, model_path, base_model = latest_finetuned(context, variant)
    if base_model != (current_base := gliner_base_models.reference(variant)):
        context.log.warning(f"{version} was fine-tuned from {base_model}, but the base evaluated now is {current_base}")
    dataset = load_dataset_export(dataset_path(context, config.dataset_path))
    plan = config.plan()
    loaders = {"base": lambda: gliner_base_models.load(variant), "finetuned": lambda: open_gliner(model_path)}
    result = evaluate_variant(
        variant, version, loaders, dataset, EVALUATION_SPLITS, plan, context.log.info, context.log.warning
    )
    with warehouse.get_connection() as conn:
        tables.MODEL_EVALUATIONS.replace_rows(conn, {"variant": variant, "model_version": version}, result.rows)

    comparison, external = result.comparison, result.suites.external
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(result.rows),
            "model_version": version,
            "model_path": MetadataValue.path(str(model_path)),
            "base_model": base_model,
            "data_version": dataset.version,
            "threshold": config.threshold,
            "max_sentences": config.max_sentences or None,
            "benchmarks": md(comparison.table, max_rows=100),
            "average_f1_base": comparison.average["base"],
            "average_f1_finetuned": comparison.average["finetuned"],
            "average_f1_delta": comparison.average["delta"],
            "zero_shot_sets": comparison.zero_shot_sets,
            "zero_shot_average_f1_base": comparison.zero_shot_average["base"],
            "zero_shot_average_f1_finetuned": comparison.zero_shot_average["finetuned"],
            "test_per_type_f1": md(result.test_per_type, max_rows=100),
            "benchmark_dir": MetadataValue.path(str(plan.benchmark_dir)),
            "benchmarks_found": len(external),
            "benchmarks_read": md(result.benchmarks_read, max_rows=100, width=400),  # the label sets in full
            "dropped_entities": sum(b.dropped_entities for b in external),
            "benchmark_note": (
                f"{len(external)} benchmark(s) evaluated" if external
                else "no benchmark found (none are bundled): see the README for the sets to download into benchmark_dir"
            ),
            "benchmark_files_skipped": md([{"path": p, "reason": r} for p, r in result.suites.skipped.items()], max_rows=50),
            "evaluation_seconds": result.seconds,
            "table": tables.MODEL_EVALUATIONS.name,
        }
    )
