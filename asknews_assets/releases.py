"""What the Dagster instance knows of an asset's versions: its latest materialization, the versions
that may be published, and how their blocking checks went.

`latest_materialization` is the one answer to "the latest materialised version of an asset" (of a
partition): its metadata as plain values and its version. Assets, checks and sensors read upstream
versions through it.

A release is a materialization of `dataset_splits`, `finetuned_gliner` or `model_evaluation` that
carries a version in its metadata. It may be published when every blocking check of its asset has
an evaluation that targets that very materialization and passed (a failure of WARN severity does
not block, as in Dagster). A check not evaluated yet keeps the release pending.

Which checks are blocking comes from the code location's definitions where the caller has them (a
sensor always does; a run launched by the daemon too), and otherwise from the evaluations recorded
for the release (each records whether its check is blocking).

Dagster's public instance API has no query of asset check evaluations: they are read with the
instance's `get_latest_asset_check_evaluation_record` and, for the evaluations made in the run that
materialized the release, `all_logs` of that one run filtered to check events.
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
    RepositoryDefinition,
)

from asknews_assets.warehouse import tables

# The versioned assets and the metadata entry that names a version of each.
DATASET_SPLITS = tables.DATASET_SPLITS.key  # dataset_version, dataset_path
FINETUNED_GLINER = tables.FINETUNED_MODELS.key  # model_version, model_path, base_model, data_version
MODEL_EVALUATION = tables.MODEL_EVALUATIONS.key  # model_version (+ table model_evaluations)
PUBLISHED_DATASET = AssetKey("published_dataset")  # dataset_version, repo_id, tag, revision
PUBLISHED_MODELS = AssetKey("published_models")  # model_version, repo_id, tag, revision

DATASET_VERSION = "dataset_version"
MODEL_VERSION = "model_version"
VERSION_FIELDS = {
    DATASET_SPLITS: DATASET_VERSION,
    PUBLISHED_DATASET: DATASET_VERSION,
    FINETUNED_GLINER: MODEL_VERSION,
    MODEL_EVALUATION: MODEL_VERSION,
    PUBLISHED_MODELS: MODEL_VERSION,
}
SEARCH_LIMIT = 100  # materializations looked through for a version


class ReleaseNotPublishable(RuntimeError):
    """A version that does not exist, or whose blocking checks failed or have not run."""


@dataclass(frozen=True)
class Materialization:
    """One materialization of an asset (partition: of that partition, if any), with its metadata as
    plain values and its version (None for an asset without versions, or one that recorded none)."""

    asset_key: AssetKey
    partition: str | None
    storage_id: int
    run_id: str
    metadata: dict[str, Any]

    @property
    def version(self) -> str | None:
        value = self.metadata.get(VERSION_FIELDS.get(self.asset_key, ""))
        return str(value) if value else None

    def describe(self) -> str:
        where = f"[{self.partition}]" if self.partition else ""
        return f"{self.asset_key.to_user_string()}{where} {self.version}"


@dataclass(frozen=True)
class CheckVerdict:
    """Blocking checks of a release, by outcome."""

    passed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()

    def blocker(self) -> tuple[str, tuple[str, ...]] | None:
        """What stops publication, and the checks concerned (None: nothing does)."""
        if self.failed:
            return "blocking checks failed", self.failed
        if self.pending:
            return "blocking checks not evaluated yet", self.pending
        return None


def plain_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Dagster metadata values as plain Python values (text, paths, numbers)."""
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def materializations(
    instance: DagsterInstance, asset_key: AssetKey, partition: str | None = None, limit: int = SEARCH_LIMIT
) -> list[Materialization]:
    """Materializations of `asset_key` (of one partition), newest first."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition] if partition else None), limit=limit
    ).records
    return [
        Materialization(
            asset_key,
            record.partition_key,
            record.storage_id,
            record.run_id,
            plain_metadata(record.asset_materialization.metadata) if record.asset_materialization else {},
        )
        for record in records
    ]


def latest_materialization(
    instance: DagsterInstance, asset_key: AssetKey, partition: str | None = None
) -> Materialization | None:
    """The asset's latest materialization (of that partition), or None if it has none."""
    newest = materializations(instance, asset_key, partition, limit=1)
    return newest[0] if newest else None


def latest_release(
    instance: DagsterInstance, asset_key: AssetKey, partition: str | None = None
) -> Materialization | None:
    """The newest materialization, if it carries a version (an older one is superseded either way)."""
    latest = latest_materialization(instance, asset_key, partition)
    return latest if latest and latest.version else None


def find_release(
    instance: DagsterInstance, asset_key: AssetKey, version: str, partition: str | None = None
) -> Materialization | None:
    """The newest materialization of that version."""
    return next((m for m in materializations(instance, asset_key, partition) if m.version == version), None)


def blocking_check_keys(repository: RepositoryDefinition | None, asset_key: AssetKey) -> set[AssetCheckKey]:
    """The blocking checks the code location defines for an asset (none if it defines none)."""
    if repository is None:
        return set()
    definitions = [*repository.asset_checks_defs_by_key.values(), *repository.assets_defs_by_key.values()]
    return {
        AssetCheckKey(spec.asset_key, spec.name)
        for definition in definitions
        for spec in definition.check_specs
        if spec.asset_key == asset_key and spec.blocking
    }


def _targets(evaluation: AssetCheckEvaluation, run_id: str, release: Materialization) -> bool:
    """Whether the evaluation checked this very materialization (old evaluations only name their run)."""
    target = evaluation.target_materialization_data
    return target.storage_id == release.storage_id if target else run_id == release.run_id


def _evaluations_in_run(
    instance: DagsterInstance, release: Materialization
) -> dict[AssetCheckKey, list[AssetCheckEvaluation]]:
    """Checks planned or evaluated on the release's asset in the run that materialized it, each with
    the evaluations it made there, newest first (none: planned, never evaluated)."""
    check_events = {DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED, DagsterEventType.ASSET_CHECK_EVALUATION}
    entries = instance.all_logs(release.run_id, of_type=check_events)
    found: dict[AssetCheckKey, list[AssetCheckEvaluation]] = {}
    for entry in reversed(entries):
        evaluation = entry.asset_check_evaluation
        data = evaluation or (entry.dagster_event.asset_check_planned_data if entry.dagster_event else None)
        if data is None or data.asset_key != release.asset_key:
            continue
        evaluations = found.setdefault(AssetCheckKey(data.asset_key, data.check_name), [])
        if evaluation is not None and _targets(evaluation, release.run_id, release):
            evaluations.append(evaluation)
    return found


def _evaluation_of(
    instance: DagsterInstance, key: AssetCheckKey, release: Materialization, in_run: list[AssetCheckEvaluation]
) -> AssetCheckEvaluation | None:
    """The latest evaluation of a check on this very materialization: the check's latest evaluation
    if it targets it (a later run may have re-evaluated it), else the latest of the release's run."""
    record = instance.get_latest_asset_check_evaluation_record(key)
    latest = record.event.asset_check_evaluation if record and record.event else None
    if latest is not None and _targets(latest, record.run_id, release):
        return latest
    return in_run[0] if in_run else None


def check_verdict(
    instance: DagsterInstance, release: Materialization, repository: RepositoryDefinition | None = None
) -> CheckVerdict:
    """How the blocking checks went on this release's materialization.

    Blocking checks are those the code location defines (`repository`, when known) and any check
    recorded as blocking. A defined blocking check with no evaluation yet is pending; a failure of
    WARN severity does not block.
    """
    defined = blocking_check_keys(repository, release.asset_key)
    in_run = _evaluations_in_run(instance, release)
    passed, failed, pending = [], [], []
    for key in sorted(defined | set(in_run), key=lambda k: k.name):
        evaluation = _evaluation_of(instance, key, release, in_run.get(key, []))
        if evaluation is None:
            if key in defined:
                pending.append(key.name)
            continue
        if not (key in defined or evaluation.blocking):
            continue
        blocks = not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
        (failed if blocks else passed).append(key.name)
    return CheckVerdict(tuple(passed), tuple(failed), tuple(pending))


def require_publishable(
    instance: DagsterInstance, release: Materialization, repository: RepositoryDefinition | None = None
) -> CheckVerdict:
    """The release's verdict, or ReleaseNotPublishable naming the checks that failed or have not run."""
    verdict = check_verdict(instance, release, repository)
    if blocker := verdict.blocker():
        what, checks = blocker
        raise ReleaseNotPublishable(f"{release.describe()}: {what}: {', '.join(checks)}")
    return verdict


def resolve_release(
    instance: DagsterInstance, asset_key: AssetKey, version: str = "", partition: str | None = None
) -> Materialization:
    """The release of that version, or the latest one when no version is asked for."""
    if version:
        release = find_release(instance, asset_key, version, partition)
    else:
        release = latest_release(instance, asset_key, partition)
    if release is None:
        wanted = f"version {version}" if version else f"a materialization with {VERSION_FIELDS[asset_key]}"
        where = f" partition {partition}" if partition else ""
        raise ReleaseNotPublishable(f"no {wanted} of {asset_key.to_user_string()}{where} on this instance")
    return release
