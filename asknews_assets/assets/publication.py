"""Publication: the dataset and each fine-tuned model variant, as Hub repositories (or a local copy).

Both assets publish one version of their upstream asset, found through its materialization metadata
on the instance (`dataset_version` / `model_version`), and only once its blocking checks passed.
The publication sensor launches them exactly once per version; run by hand they publish the latest.
"""

import tempfile
from pathlib import Path

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, RepositoryDefinition, asset
from pydantic import Field

from asknews_assets import settings
from asknews_assets.metadata import md
from asknews_assets.partitions import MODEL_VARIANTS, model_variant_partitions
from asknews_assets.publication.bundle import PublishedRepo
from asknews_assets.publication.staging import stage_dataset, stage_model
from asknews_assets.releases import (
    DATASET_SPLITS,
    DATASET_VERSION,
    FINETUNED_GLINER,
    MODEL_EVALUATION,
    MODEL_VERSION,
    PUBLISHED_DATASET,
    PUBLISHED_MODELS,
    ReleaseNotPublishable,
    require_publishable,
    resolve_release,
)
from asknews_assets.resources.publication import Publisher
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.readers import model_evaluations_of
from asknews_assets.warehouse.resource import Warehouse


class PublishedDatasetConfig(Config):
    dataset_version: str = Field(default="", description="Version of dataset_splits to publish; empty: the latest.")
    max_shard_mb: int = Field(default=500, description="Largest Parquet shard, in MiB (the Hub's datasets default).")
    require_passed_checks: bool = Field(
        default=True, description="Refuse a version whose blocking checks failed or have not run."
    )


class PublishedModelConfig(Config):
    model_version: str = Field(default="", description="Version of finetuned_gliner to publish; empty: the latest.")
    require_passed_checks: bool = Field(
        default=True, description="Refuse a version whose blocking checks failed or have not run."
    )


def _code_location(context: AssetExecutionContext) -> RepositoryDefinition | None:
    """The code location's definitions (to know the blocking checks), where the run has them.

    Runs launched from a code location have them; `execute_in_process` runs do not, and then the
    checks recorded for the release decide.
    """
    try:
        return context.repository_def
    except Exception:  # Dagster raises its internal CheckError; no public call says whether a run has one
        return None


def _publication_metadata(
    result: PublishedRepo, version_field: str, version: str, checked: tuple[str, ...] | None
) -> dict:
    return {
        "repo_id": result.repo_id,
        "revision": result.commit,
        "tag": result.tag,
        version_field: version,
        "url": MetadataValue.url(result.url),
        "files": md([{"path": path} for path in result.files], max_rows=50),
        "n_files": len(result.files),
        "deleted": md([{"path": path} for path in result.deleted], max_rows=50),
        "publisher_backend": result.backend,
        "upstream_checks_passed": "not required" if checked is None else ", ".join(checked) or "none defined",
    }


@asset(
    key=PUBLISHED_DATASET,
    deps=[DATASET_SPLITS],
    group_name="publication",
    kinds={"huggingface", "parquet"},
    tags={"stage": "publication"},
)
def published_dataset(
    context: AssetExecutionContext, config: PublishedDatasetConfig, publisher: Publisher
) -> MaterializeResult:
    """The dataset repository: Parquet shards `data/{split}-NNNNN-of-NNNNN.parquet` and a dataset card.

    One commit makes the repository hold exactly this version (stale shards deleted), tagged with
    the dataset version. The card's figures come from the manifest and the shards themselves.
    """
    release = resolve_release(context.instance, DATASET_SPLITS, config.dataset_version)
    checked = None
    if config.require_passed_checks:
        checked = require_publishable(context.instance, release, _code_location(context)).passed
    with tempfile.TemporaryDirectory(prefix="publish-dataset-") as work_dir:
        staged = stage_dataset(
            Path(release.metadata["dataset_path"]),
            release.version,
            publisher.dataset_repo_id,
            Path(work_dir),
            max_shard_bytes=config.max_shard_mb * 2**20,
            configured_license=settings.current().dataset_license,
        )
        result = publisher.publish(staged.bundle)
    context.log.info(f"dataset {release.version} published to {result.repo_id} at {result.commit} (tag {result.tag})")
    return MaterializeResult(
        metadata={
            **_publication_metadata(result, DATASET_VERSION, release.version, checked),
            "dagster/row_count": sum(s.documents for s in staged.splits),
            "splits": md([{"split": s.name, "documents": s.documents, "entities": s.entities, "shards": len(s.shards)}
                          for s in staged.splits]),  # fmt: skip
            "dataset_path": MetadataValue.path(str(release.metadata["dataset_path"])),
            "card": MetadataValue.md(staged.card),
        }
    )


@asset(
    key=PUBLISHED_MODELS,
    deps=[FINETUNED_GLINER, MODEL_EVALUATION],
    partitions_def=model_variant_partitions,
    group_name="publication",
    kinds={"huggingface", "pytorch"},
    tags={"stage": "publication"},
)
def published_models(
    context: AssetExecutionContext, config: PublishedModelConfig, publisher: Publisher, warehouse: Warehouse
) -> MaterializeResult:
    """One model repository per variant: safetensors weights, GLiNER config, tokenizer and a model card.

    Published only once the evaluation of the same model version exists; the card carries its
    before/after table (from `model_evaluations`). Tagged with the model version.
    """
    variant = context.partition_key
    if variant not in MODEL_VARIANTS:
        raise ValueError(f"unknown model variant {variant!r}; expected one of {MODEL_VARIANTS}")
    model = resolve_release(context.instance, FINETUNED_GLINER, config.model_version, variant)
    evaluation = resolve_release(context.instance, MODEL_EVALUATION, model.version, variant)
    checked = None
    if config.require_passed_checks:
        repository = _code_location(context)
        checked = tuple(
            name for r in (model, evaluation) for name in require_publishable(context.instance, r, repository).passed
        )
    with warehouse.get_connection() as conn:
        evaluations = model_evaluations_of(conn, variant, model.version)
    if evaluations.empty:
        raise ReleaseNotPublishable(f"{tables.MODEL_EVALUATIONS} holds no rows for {variant} {model.version}")
    with tempfile.TemporaryDirectory(prefix="publish-model-") as work_dir:
        bundle, card = stage_model(
            model_path=Path(model.metadata["model_path"]),
            repo_id=publisher.model_repo_id(variant),
            variant=variant,
            model_version=model.version,
            base_model=str(model.metadata.get("base_model", "")),
            dataset_repo_id=publisher.dataset_repo_id,
            data_version=str(model.metadata.get("data_version", "")),
            evaluations=evaluations,
            work_dir=Path(work_dir),
        )
        result = publisher.publish(bundle)
    context.log.info(f"{variant} model {model.version} published to {result.repo_id} at {result.commit} (tag {result.tag})")
    return MaterializeResult(
        metadata={
            **_publication_metadata(result, MODEL_VERSION, model.version, checked),
            "base_model": str(model.metadata.get("base_model", "")),
            "data_version": str(model.metadata.get("data_version", "")),
            "model_path": MetadataValue.path(str(model.metadata["model_path"])),
            "evaluation": md(evaluations.drop(columns=["per_type"], errors="ignore"), max_rows=50),
            "card": MetadataValue.md(card),
        }
    )
