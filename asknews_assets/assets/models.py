"""The model layer: GLiNER variants fine-tuned on the dataset, and their before/after evaluation.

`finetuned_gliner` fine-tunes each variant's base model (resource `gliner_base_models`) on the
latest `dataset_splits` export and saves it to `<model_store_dir>/gliner-<variant>/<model_version>/`
(loadable by `GLiNER.from_pretrained` alone). `model_evaluation` scores the base and the fine-tuned
model on the dataset's test splits and on every benchmark in a folder. Downstream assets find a
model through the `model_version` / `model_path` metadata of `finetuned_gliner`.
"""

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
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
from asknews_assets.models.dataset import DatasetExportMissing, load_dataset_export
from asknews_assets.models.benchmarks import (
    ZERO_SHOT_BENCHMARKS,
    Benchmark,
    TypeNames,
    dropped_summary,
    examples_from_gliner_rows,
    find_benchmarks,
)
from asknews_assets.models.evaluation import evaluate_examples
from asknews_assets.models.finetune import finetune
from asknews_assets.models.inference import open_gliner
from asknews_assets.models.pipes import launch_training, pipes_extras
from asknews_assets.models.training import TrainingSettings
from asknews_assets.metadata import md
from asknews_assets.partitions import model_variant_partitions
from asknews_assets.resources.models import GlinerBaseModels, validate_variant
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import replace_table, table_exists

DATASET_SPLITS = AssetKey("dataset_splits")
FINETUNED_GLINER = AssetKey("finetuned_gliner")
MODEL_EVALUATION = AssetKey("model_evaluation")

FINETUNED_MODELS_DDL = """
    variant VARCHAR NOT NULL, model_version VARCHAR NOT NULL, model_path VARCHAR NOT NULL,
    base_model VARCHAR NOT NULL, data_version VARCHAR NOT NULL, steps INTEGER NOT NULL,
    train_seconds DOUBLE NOT NULL, created_at TIMESTAMPTZ NOT NULL
"""
MODEL_EVALUATIONS_DDL = """
    variant VARCHAR NOT NULL, model_version VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, model VARCHAR NOT NULL,
    precision DOUBLE NOT NULL, recall DOUBLE NOT NULL, f1 DOUBLE NOT NULL, n_docs INTEGER NOT NULL, per_type JSON,
    n_entities INTEGER, dropped_entities INTEGER, max_sentences INTEGER
"""
# The dataset's own test splits, evaluated before any benchmark folder.
DATASET_BENCHMARKS = ("test", "test_heldout_topics")


def replace_rows(conn: Any, table: str, ddl: str, keys: dict[str, str], rows: list[dict[str, Any]]) -> None:
    """Replace the rows of `table` matching `keys` (column -> value), keeping all others: these
    registries are small, so the table is rewritten whole with the shared replace_table."""
    kept = conn.execute(f"SELECT * FROM {table}").df() if table_exists(conn, table) else pd.DataFrame()
    if not kept.empty:
        match = pd.Series(True, index=kept.index)
        for column, value in keys.items():
            match &= kept[column] == value
        kept = kept[~match]
    # Empty frames left out of the concat: pandas will stop ignoring them when it infers column types.
    frames = [frame for frame in (kept, pd.DataFrame(rows)) if not frame.empty]
    replace_table(conn, table, ddl, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def dataset_path(context: AssetExecutionContext, configured: str) -> Path:
    """The configured export folder, else the one the latest `dataset_splits` materialization wrote."""
    if configured:
        return Path(configured)
    event = context.instance.get_latest_materialization_event(DATASET_SPLITS)
    path = event and event.asset_materialization and event.asset_materialization.metadata.get("dataset_path")
    if not path:
        raise DatasetExportMissing(
            "no dataset export found: materialize the 'dataset_splits' asset first (its metadata names the"
            " dataset_path), or set dataset_path in this asset's config"
        )
    return Path(str(path.value))


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
    deps=[DATASET_SPLITS],
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

    value = lambda key: metadata[key].value if isinstance(metadata[key], MetadataValue) else metadata[key]  # noqa: E731
    row = {
        "variant": variant,
        "model_version": value("model_version"),
        "model_path": str(value("model_path")),
        "base_model": value("base_model"),
        "data_version": value("data_version"),
        "steps": value("steps"),
        "train_seconds": value("train_seconds"),
        "created_at": datetime.now(timezone.utc),
    }
    with warehouse.get_connection() as conn:
        keys = {"variant": variant, "model_version": row["model_version"]}
        replace_rows(conn, "finetuned_models", FINETUNED_MODELS_DDL, keys, [row])
    return MaterializeResult(metadata=metadata)


def latest_finetuned(context: AssetExecutionContext, variant: str) -> tuple[str, Path, str]:
    """(model_version, model_path, base_model) of the variant's latest fine-tuned model."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=FINETUNED_GLINER, asset_partitions=[variant]), limit=1
    ).records
    metadata = records[0].asset_materialization.metadata if records and records[0].asset_materialization else {}
    if "model_path" not in metadata:
        raise FileNotFoundError(
            f"no fine-tuned model for variant {variant!r}: materialize finetuned_gliner[{variant}] first"
        )
    value = lambda key: str(metadata[key].value)  # noqa: E731
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


MODEL_EVALUATIONS_COLUMNS = (
    "variant", "model_version", "benchmark", "model", "precision", "recall", "f1", "n_docs", "per_type",
    "n_entities", "dropped_entities", "max_sentences",
)
ZERO_SHOT_AVERAGE = "Average (zero-shot, 7 sets)"


def _number(value: float) -> float | None:
    """A metadata number; None where there was nothing to average."""
    return None if pd.isna(value) else round(float(value), 4)


def _type_names(config: ModelEvaluationConfig) -> TypeNames:
    return TypeNames.natural(config.type_names) if config.natural_type_names else TypeNames(config.type_names)


def _capped(benchmark: Benchmark, max_sentences: int) -> Benchmark:
    """The benchmark's first `max_sentences` sentences; its label set stays the declared one."""
    if not max_sentences or len(benchmark.examples) <= max_sentences:
        return benchmark
    return Benchmark(benchmark.name, benchmark.examples[:max_sentences], benchmark.labels, benchmark.source,
                     benchmark.format, benchmark.dropped)  # fmt: skip


def _score_row(
    variant: str, version: str, benchmark: Benchmark, model: str, evaluation: Any, cap: int
) -> dict[str, Any]:
    scores = evaluation.scores
    return {
        "variant": variant,
        "model_version": version,
        "benchmark": benchmark.name,
        "model": model,
        "precision": scores.precision,
        "recall": scores.recall,
        "f1": scores.f1,
        "n_docs": evaluation.n_docs,
        "per_type": json.dumps({label: round(s.f1, 4) for label, s in evaluation.per_type.items()}),
        "n_entities": benchmark.entities,
        "dropped_entities": benchmark.dropped_entities,
        "max_sentences": cap or None,
    }


@asset(
    partitions_def=model_variant_partitions,
    group_name="models",
    kinds={"pytorch", "duckdb"},
    tags={"stage": "models"},
    op_tags=GPU_QUEUE_TAGS,  # with ASKNEWS_EXECUTOR=celery: served by the GPU workers
    deps=[FINETUNED_GLINER],
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
    benchmark_dir = Path(config.benchmark_dir) if config.benchmark_dir else settings.current().data_dir / "benchmarks"
    scan = find_benchmarks(benchmark_dir, _type_names(config))
    suites = [
        Benchmark(name, examples_from_gliner_rows(dataset.split(name)), list(dataset.entity_types),
                  f"{dataset.version}:{name}", "dataset")  # fmt: skip
        for name in DATASET_BENCHMARKS
        if dataset.split(name)
    ]
    external: list[Benchmark] = []
    for benchmark in scan.benchmarks:
        if benchmark.name in DATASET_BENCHMARKS:
            scan.skipped[benchmark.source] = "its name is that of a dataset split"
        elif config.benchmarks and benchmark.name not in config.benchmarks:
            scan.skipped[benchmark.source] = "not in the configured benchmarks"
        else:
            external.append(benchmark)
    if missing := sorted(set(config.benchmarks) - {b.name for b in external}):
        context.log.warning(f"configured benchmarks not found in {benchmark_dir}: {', '.join(missing)}")
    suites += [_capped(benchmark, config.max_sentences) for benchmark in external]

    rows: list[dict[str, Any]] = []
    test_per_type: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    loaders = {"base": lambda: gliner_base_models.load(variant), "finetuned": lambda: open_gliner(model_path)}
    for model_name, load in loaders.items():
        model = load()
        for benchmark in suites:

            def progress(done: int, total: int, seconds: float, name: str = benchmark.name) -> None:
                rate = done / seconds if seconds else 0.0
                context.log.info(f"{model_name} on {name}: {done}/{total} sentences, {rate:.1f} sentences/s")

            evaluation = evaluate_examples(
                model, benchmark.examples, benchmark.labels, config.threshold, config.batch_size, progress
            )
            cap = config.max_sentences if benchmark.format != "dataset" else 0  # dataset splits run whole
            rows.append(_score_row(variant, version, benchmark, model_name, evaluation, cap))
            if benchmark.name == "test":
                for label, scores in evaluation.per_type.items():
                    test_per_type.setdefault(label, {})[model_name] = round(scores.f1, 4)
        del model  # one model in memory at a time
    with warehouse.get_connection() as conn:
        keys = {"variant": variant, "model_version": version}
        replace_rows(conn, "model_evaluations", MODEL_EVALUATIONS_DDL, keys, rows)

    scores = pd.DataFrame(rows, columns=list(MODEL_EVALUATIONS_COLUMNS))
    f1 = scores.pivot(index="benchmark", columns="model", values="f1")
    f1 = f1.reindex(index=[b.name for b in suites], columns=["base", "finetuned"])
    f1["delta"] = f1["finetuned"] - f1["base"]
    zero_shot = f1.loc[[name for name in ZERO_SHOT_BENCHMARKS if name in f1.index]]
    averages = {"average (all)": f1.mean()}
    if not zero_shot.empty:
        averages[ZERO_SHOT_AVERAGE if len(zero_shot) == len(ZERO_SHOT_BENCHMARKS)
                 else f"Average (zero-shot, {len(zero_shot)} of 7 sets)"] = zero_shot.mean()  # fmt: skip
    comparison = pd.concat([f1, pd.DataFrame(averages).T]).rename_axis("benchmark").reset_index().round(4)
    per_type = [{"type": label, **values} for label, values in sorted(test_per_type.items())]
    read = [
        {"benchmark": b.name, "layout": b.format, "sentences": len(b.examples), "entities": b.entities,
         "types": len(b.labels), "dropped entities": dropped_summary(b) or 0, "labels": ", ".join(b.labels),
         "source": b.source}  # fmt: skip
        for b in external
    ]
    zero_shot_average = zero_shot.mean() if not zero_shot.empty else pd.Series(dtype=float)
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "model_version": version,
            "model_path": MetadataValue.path(str(model_path)),
            "base_model": base_model,
            "data_version": dataset.version,
            "threshold": config.threshold,
            "max_sentences": config.max_sentences or None,
            "benchmarks": md(comparison, max_rows=100),
            "average_f1_base": _number(averages["average (all)"]["base"]),
            "average_f1_finetuned": _number(averages["average (all)"]["finetuned"]),
            "average_f1_delta": _number(averages["average (all)"]["delta"]),
            "zero_shot_sets": len(zero_shot),
            "zero_shot_average_f1_base": _number(zero_shot_average.get("base", float("nan"))),
            "zero_shot_average_f1_finetuned": _number(zero_shot_average.get("finetuned", float("nan"))),
            "test_per_type_f1": md(per_type, max_rows=100),
            "benchmark_dir": MetadataValue.path(str(benchmark_dir)),
            "benchmarks_found": len(external),
            "benchmarks_read": md(read, max_rows=100, width=400),  # the label sets in full
            "dropped_entities": sum(b.dropped_entities for b in external),
            "benchmark_note": (
                f"{len(external)} benchmark(s) evaluated" if external
                else "no benchmark found (none are bundled): see the README for the sets to download into benchmark_dir"
            ),
            "benchmark_files_skipped": md([{"path": p, "reason": r} for p, r in scan.skipped.items()], max_rows=50),
            "evaluation_seconds": round(time.perf_counter() - started, 1),
            "table": "model_evaluations",
        }
    )
