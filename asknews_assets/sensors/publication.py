"""Publication of new versions: the dataset when dataset_splits has one, a model when its evaluation exists.

Each tick looks at the latest materialization of `dataset_splits` and, per variant, of
`finetuned_gliner`. A version is published when it is neither in the cursor nor already the
published one, its blocking checks passed on that materialization, and (for a model) a
`model_evaluation` of the same model version exists and passed its checks too. Run keys
`dataset:<version>` and `model:<variant>:<version>` make Dagster launch each at most once; a version
whose checks failed or have not run yet is left for a later tick. Only the latest version of each
is published: an older one it superseded is skipped.

Set ASKNEWS_PUBLISH_SENSOR=off to have it stopped by default.
"""

import json
from dataclasses import dataclass, field

from dagster import (
    DagsterInstance,
    RepositoryDefinition,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from asknews_assets.jobs import publish_dataset_job, publish_models_job
from asknews_assets.partitions import MODEL_VARIANTS
from asknews_assets.releases import (
    DATASET_SPLITS,
    FINETUNED_GLINER,
    MODEL_EVALUATION,
    PUBLISHED_DATASET,
    PUBLISHED_MODELS,
    Materialization,
    check_verdict,
    find_release,
    latest_release,
)
from asknews_assets.sensors import default_status


@dataclass
class PublicationCursor:
    """The last version requested: of the dataset, and of each model variant."""

    dataset: str | None = None
    models: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> "PublicationCursor":
        data = json.loads(text) if text else {}
        return cls(data.get("dataset"), dict(data.get("models", {})))

    def serialize(self) -> str:
        return json.dumps({"dataset": self.dataset, "models": self.models}, sort_keys=True)


@dataclass
class PublicationPlan:
    run_requests: list[RunRequest]
    cursor: PublicationCursor
    waiting: list[str]


def _published_version(instance: DagsterInstance, asset_key, partition: str | None = None) -> str | None:
    published = latest_release(instance, asset_key, partition)
    return published.version if published else None


def _blocked(
    instance: DagsterInstance, repository: RepositoryDefinition, releases: list[Materialization]
) -> str | None:
    """Why these releases may not be published yet (None: they may)."""
    for release in releases:
        if blocker := check_verdict(instance, release, repository).blocker():
            what, checks = blocker
            return f"{release.describe()}: {what} ({', '.join(checks)})"
    return None


def plan_publications(
    instance: DagsterInstance, repository: RepositoryDefinition, cursor: PublicationCursor
) -> PublicationPlan:
    """The publish runs to request now, the cursor after them, and what waits (and why)."""
    requests, waiting = [], []
    cursor = PublicationCursor(cursor.dataset, dict(cursor.models))

    dataset = latest_release(instance, DATASET_SPLITS)
    if dataset and dataset.version not in (cursor.dataset, _published_version(instance, PUBLISHED_DATASET)):
        if reason := _blocked(instance, repository, [dataset]):
            waiting.append(reason)
        else:
            requests.append(
                RunRequest(
                    run_key=f"dataset:{dataset.version}",
                    job_name=publish_dataset_job.name,
                    run_config={"ops": {PUBLISHED_DATASET.path[-1]: {"config": {"dataset_version": dataset.version}}}},
                    tags={"asknews/dataset_version": dataset.version},
                )
            )
            cursor.dataset = dataset.version

    for variant in MODEL_VARIANTS:
        model = latest_release(instance, FINETUNED_GLINER, variant)
        published = _published_version(instance, PUBLISHED_MODELS, variant)
        if model is None or model.version in (cursor.models.get(variant), published):
            continue
        evaluation = find_release(instance, MODEL_EVALUATION, model.version, variant)
        if evaluation is None:
            waiting.append(f"{model.describe()}: no model_evaluation of this version yet")
            continue
        if reason := _blocked(instance, repository, [model, evaluation]):
            waiting.append(reason)
            continue
        requests.append(
            RunRequest(
                run_key=f"model:{variant}:{model.version}",
                job_name=publish_models_job.name,
                partition_key=variant,
                run_config={"ops": {PUBLISHED_MODELS.path[-1]: {"config": {"model_version": model.version}}}},
                tags={"asknews/model_version": model.version},
            )
        )
        cursor.models[variant] = model.version
    return PublicationPlan(requests, cursor, waiting)


@sensor(
    jobs=[publish_dataset_job, publish_models_job],
    minimum_interval_seconds=60,
    default_status=default_status("ASKNEWS_PUBLISH_SENSOR"),
    description="Publishes each new dataset version and each evaluated model version once its blocking checks passed.",
)
def publication_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    if context.repository_def is None:
        raise RuntimeError("the publication sensor needs its code location's definitions to know the blocking checks")
    plan = plan_publications(context.instance, context.repository_def, PublicationCursor.parse(context.cursor))
    for reason in plan.waiting:
        context.log.info(f"not published yet: {reason}")
    if not plan.run_requests:
        return SkipReason("; ".join(plan.waiting) or "no new version to publish")
    return SensorResult(run_requests=plan.run_requests, cursor=plan.cursor.serialize())
