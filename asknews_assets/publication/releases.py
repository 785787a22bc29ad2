"""Which upstream versions exist and may be published, read from the Dagster instance.

A release is a materialization of `dataset_splits`, `finetuned_gliner` or `model_evaluation` that
carries a version in its metadata. It may be published when every blocking check of its asset has
an evaluation that targets that very materialization and passed (a failure of WARN severity does
not block, as in Dagster). A check not evaluated yet keeps the release pending.

Which checks are blocking comes from the code location's asset graph where the caller has it (a
sensor always does; a run launched by the daemon too), and otherwise from the evaluations recorded
for the release (each records whether its check is blocking).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
)

# The upstream contracts: asset keys and the metadata each materialization carries.
DATASET_SPLITS = AssetKey("dataset_splits")  # dataset_version, dataset_path
FINETUNED_GLINER = AssetKey("finetuned_gliner")  # model_version, model_path, base_model, data_version
MODEL_EVALUATION = AssetKey("model_evaluation")  # model_version (+ table model_evaluations)
PUBLISHED_DATASET = AssetKey("published_dataset")
PUBLISHED_MODELS = AssetKey("published_models")

DATASET_VERSION = "dataset_version"
MODEL_VERSION = "model_version"
SEARCH_LIMIT = 100  # materializations (or check executions) looked through for a version


class ReleaseNotPublishable(RuntimeError):
    """A version that does not exist, or whose blocking checks failed or have not run."""


@dataclass(frozen=True)
class Release:
    """One versioned materialization of an upstream asset (partition: the model variant, if any)."""

    asset_key: AssetKey
    partition: str | None
    version: str
    storage_id: int
    run_id: str
    metadata: dict[str, Any]

    def describe(self) -> str:
        where = f"[{self.partition}]" if self.partition else ""
        return f"{self.asset_key.to_user_string()}{where} {self.version}"


@dataclass(frozen=True)
class CheckVerdict:
    """Blocking checks of a release, by outcome."""

    passed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()


def plain_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Dagster metadata values as plain Python values (text, paths, numbers)."""
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def releases(
    instance: DagsterInstance, asset_key: AssetKey, version_field: str, partition: str | None = None, limit: int = SEARCH_LIMIT
) -> list[Release]:
    """Materializations of `asset_key` (of one partition) that carry a version, newest first."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition] if partition else None), limit=limit
    ).records
    found = []
    for record in records:
        materialization = record.asset_materialization
        metadata = plain_metadata(materialization.metadata) if materialization else {}
        if metadata.get(version_field):
            found.append(
                Release(asset_key, partition, str(metadata[version_field]), record.storage_id, record.run_id, metadata)
            )
    return found


def latest_release(
    instance: DagsterInstance, asset_key: AssetKey, version_field: str, partition: str | None = None
) -> Release | None:
    """The newest materialization, if it carries a version (an older one is superseded either way)."""
    newest = releases(instance, asset_key, version_field, partition, limit=1)
    return newest[0] if newest else None


def find_release(
    instance: DagsterInstance, asset_key: AssetKey, version_field: str, version: str, partition: str | None = None
) -> Release | None:
    """The newest materialization of that version."""
    return next((r for r in releases(instance, asset_key, version_field, partition) if r.version == version), None)


def blocking_check_keys(asset_graph: Any, asset_key: AssetKey) -> set[AssetCheckKey]:
    """The blocking checks the code location defines for an asset (none if the asset is not defined)."""
    if asset_graph is None or not asset_graph.has(asset_key):
        return set()
    return {k for k in asset_graph.get_check_keys_for_assets({asset_key}) if asset_graph.get_check_spec(k).blocking}


def checks_of_run(instance: DagsterInstance, release: Release) -> set[AssetCheckKey]:
    """Checks planned or evaluated on the release's asset in the run that materialized it."""
    entries = instance.all_logs(
        release.run_id, of_type={DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED, DagsterEventType.ASSET_CHECK_EVALUATION}
    )
    found = set()
    for entry in entries:
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if data is not None and data.asset_key == release.asset_key:
            found.add(AssetCheckKey(data.asset_key, data.check_name))
    return found


def _evaluation_of(instance: DagsterInstance, key: AssetCheckKey, release: Release) -> AssetCheckEvaluation | None:
    """The latest evaluation of a check on this very materialization."""
    for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=SEARCH_LIMIT):
        evaluation = record.event.dagster_event.event_specific_data if record.event and record.event.dagster_event else None
        if not isinstance(evaluation, AssetCheckEvaluation):
            continue  # planned: running now, or by a run that never evaluated it
        target = evaluation.target_materialization_data
        # Evaluations name the materialization they checked; old ones only their run.
        targets_release = target.storage_id == release.storage_id if target else record.run_id == release.run_id
        if targets_release:
            return evaluation
    return None


def check_verdict(instance: DagsterInstance, release: Release, asset_graph: Any = None) -> CheckVerdict:
    """How the blocking checks went on this release's materialization.

    Blocking checks are those the code location defines (`asset_graph`, when known) and any check
    recorded as blocking. A defined blocking check with no evaluation yet is pending; a failure of
    WARN severity does not block.
    """
    defined = blocking_check_keys(asset_graph, release.asset_key)
    passed, failed, pending = [], [], []
    for key in sorted(defined | checks_of_run(instance, release), key=lambda k: k.name):
        evaluation = _evaluation_of(instance, key, release)
        if evaluation is None:
            if key in defined:
                pending.append(key.name)
            continue
        if not (key in defined or evaluation.blocking):
            continue
        blocks = not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
        (failed if blocks else passed).append(key.name)
    return CheckVerdict(tuple(passed), tuple(failed), tuple(pending))


def require_publishable(instance: DagsterInstance, release: Release, asset_graph: Any = None) -> CheckVerdict:
    """The release's verdict, or ReleaseNotPublishable naming the checks that failed or have not run."""
    verdict = check_verdict(instance, release, asset_graph)
    if verdict.failed:
        raise ReleaseNotPublishable(f"{release.describe()}: blocking checks failed: {', '.join(verdict.failed)}")
    if verdict.pending:
        raise ReleaseNotPublishable(f"{release.describe()}: blocking checks not evaluated yet: {', '.join(verdict.pending)}")
    return verdict


def resolve_release(
    instance: DagsterInstance, asset_key: AssetKey, version_field: str, version: str = "", partition: str | None = None
) -> Release:
    """The release of that version, or the latest one when no version is asked for."""
    release = (
        find_release(instance, asset_key, version_field, version, partition)
        if version
        else latest_release(instance, asset_key, version_field, partition)
    )
    if release is None:
        wanted = f"version {version}" if version else f"a materialization with {version_field}"
        where = f" partition {partition}" if partition else ""
        raise ReleaseNotPublishable(f"no {wanted} of {asset_key.to_user_string()}{where} on this instance")
    return release
