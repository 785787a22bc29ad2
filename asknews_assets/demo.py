"""The main job: materialise the whole asset graph over every partition the source holds.

Runs every job in this process against the persistent Dagster instance in $DAGSTER_HOME, so
`dagster dev` on the same instance shows every materialisation afterwards. A partition that fails
does not stop the others: the run ends with a summary of what succeeded, failed (with the reason)
and was skipped, and exits non-zero when anything failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dagster import AssetCheckSeverity, DagsterInstance, Definitions

from asknews_assets import settings
from asknews_assets.partitions import ArticlePartition, article_partitions
from asknews_assets.warehouse import tables

# Jobs that follow the per-partition ones, in graph order, with their partition (None: unpartitioned).
# The demo fine-tunes the small variant only; the publication sensor would launch the publish jobs
# on its own under `dagster dev`, the demo runs them directly so it ends with everything published.
# Each depends on the one before it: after a failure the rest are skipped.
WHOLE_GRAPH_JOBS: list[tuple[str, str | None]] = [
    ("dataset_job", None),
    ("model_job", "small"),
    ("publish_dataset_job", None),
    ("publish_models_job", "small"),
]
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
SUCCEEDED, FAILED, SKIPPED = "succeeded", "failed", "skipped"


@dataclass(frozen=True)
class Outcome:
    job: str
    partition: str | None
    status: str
    reason: str = ""
    seconds: float = 0.0


@dataclass
class RunSummary:
    partitions: list[Outcome] = field(default_factory=list)
    jobs: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in (*self.partitions, *self.jobs) if o.status == FAILED]

    def count(self, outcomes: Sequence[Outcome], status: str) -> int:
        return sum(o.status == status for o in outcomes)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def failure_reason(result) -> str:
    """The first line of each failed step's error, e.g. 'translated_articles: SourceEnglishMissing: ...',
    and each failed blocking check with what it found."""
    reasons = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        # A step failure wraps the user's exception; its cause is the readable part.
        while error is not None and error.cause is not None and "Error occurred while executing" in error.message:
            error = error.cause
        lines = (error.message if error is not None else "unknown error").strip().splitlines() or ["unknown error"]
        message = " ".join(lines[:2]) if lines[0].endswith(":") else lines[0]  # a heading: take what it introduces
        reasons.append(f"{event.step_key}: {message}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
            reasons.append(f"check {evaluation.check_name}: {evaluation.description or 'failed'}")
    return "; ".join(reasons) or "the run failed without a failed step (see the run in the UI)"


def run_job(defs: Definitions, job_name: str, instance: DagsterInstance, partition_key: str | None = None) -> Outcome:
    """Execute one job in this process; any failure becomes an outcome with its reason, never an exception."""
    started = time.monotonic()
    try:
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, partition_key=partition_key, raise_on_error=False, run_config=QUIET
        )
    except Exception as error:  # e.g. invalid configuration: the job never started
        reason = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        return Outcome(job_name, partition_key, FAILED, reason, time.monotonic() - started)
    status, reason = (SUCCEEDED, "") if result.success else (FAILED, failure_reason(result))
    return Outcome(job_name, partition_key, status, reason, time.monotonic() - started)


def run_graph(
    defs: Definitions,
    instance: DagsterInstance,
    partitions: Sequence[ArticlePartition],
    jobs: Sequence[tuple[str, str | None]] = WHOLE_GRAPH_JOBS,
    progress: Callable[[str], None] = lambda line: None,
) -> RunSummary:
    """Every partition through `article_partition_job`, then the whole-graph jobs in order.

    A failed partition is recorded and the next one runs. The whole-graph jobs run when at least one
    partition succeeded (whether a partial build is acceptable is the dataset checks' decision); a
    failed whole-graph job skips the jobs after it, which depend on it.
    """
    summary = RunSummary()
    for number, partition in enumerate(partitions, 1):
        outcome = run_job(defs, "article_partition_job", instance, str(partition))
        summary.partitions.append(outcome)
        note = f" FAILED: {outcome.reason}" if outcome.status == FAILED else ""
        progress(f"  [{number}/{len(partitions)}] {partition}{note}")
    blocked = "" if summary.count(summary.partitions, SUCCEEDED) else "no partition succeeded"
    for job_name, partition_key in jobs:
        if blocked:
            summary.jobs.append(Outcome(job_name, partition_key, SKIPPED, blocked))
            continue
        outcome = run_job(defs, job_name, instance, partition_key)
        summary.jobs.append(outcome)
        label = f"{job_name}{f' [{partition_key}]' if partition_key else ''}"
        progress(f"  {label}: {outcome.status} in {outcome.seconds:.0f}s" + (f": {outcome.reason}" if outcome.reason else ""))
        if outcome.status == FAILED:
            blocked = f"{job_name} failed"
    return summary


def format_summary(summary: RunSummary, unroutable: Sequence = ()) -> str:
    """The closing report: partitions and jobs succeeded, failed (each with its reason) and skipped."""
    parts, jobs = summary.partitions, summary.jobs
    lines = [
        f"Partitions: {summary.count(parts, SUCCEEDED)} succeeded, {summary.count(parts, FAILED)} failed,"
        f" {summary.count(parts, SKIPPED)} skipped (of {len(parts)})",
    ]
    lines += [f"  failed {o.partition}: {o.reason}" for o in parts if o.status == FAILED]
    lines.append(
        f"Whole-graph jobs: {summary.count(jobs, SUCCEEDED)} succeeded, {summary.count(jobs, FAILED)} failed,"
        f" {summary.count(jobs, SKIPPED)} skipped"
    )
    for o in jobs:
        if o.status != SUCCEEDED:
            lines.append(f"  {o.status} {o.job}{f' [{o.partition}]' if o.partition else ''}: {o.reason}")
    if unroutable:
        lines.append(f"Unroutable source files (not read): {len(unroutable)}, {sum(u.records for u in unroutable)} records")
        lines += [f"  {u.location}: {u.reason} ({u.records} records)" for u in unroutable[:20]]
        if len(unroutable) > 20:
            lines.append(f"  ... and {len(unroutable) - 20} more")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--partitions-only",
        action="store_true",
        help="materialise the country x language partitions only, not the dataset, model and publish jobs",
    )
    args = parser.parse_args(argv)
    if "DAGSTER_HOME" not in os.environ:
        raise SystemExit("set DAGSTER_HOME (the Makefile sets it to data/dagster_home)")
    from asknews_assets.definitions import defs

    instance = DagsterInstance.get()
    source = defs.resources["source"]
    partitions = source.list_partitions()
    unroutable = source.unroutable()
    countries = sorted({p.country for p in partitions})
    # Only the pairs the source holds are partitions (the discovery sensor registers the same keys).
    if partitions:
        instance.add_dynamic_partitions(article_partitions.name, sorted(str(p) for p in partitions))
    print(f"source {source.backend}: {len(partitions)} country x language partitions, {len(countries)} countries")
    if not partitions:
        print(format_summary(RunSummary(), unroutable))
        raise SystemExit(
            f"the source ({source.backend}) holds no partition in the platform's languages, nothing to run"
            + (f": {len(unroutable)} files are outside them (listed above)" if unroutable else "")
        )

    started = time.monotonic()
    jobs = () if args.partitions_only else WHOLE_GRAPH_JOBS
    summary = run_graph(defs, instance, partitions, jobs, progress=lambda line: print(line, flush=True))

    print(f"\nDone in {time.monotonic() - started:.0f}s.")
    with defs.resources["warehouse"].get_connection() as conn:
        if tables.RAW_INGEST_STATS.exists(conn):  # absent when no partition got as far as ingestion
            totals = conn.execute(
                f"SELECT sum(read), sum(accepted), sum(rejected), count(DISTINCT language), count(DISTINCT country) FROM {tables.RAW_INGEST_STATS}"
            ).fetchone()
            reasons = conn.execute(f"SELECT reason, count(*) FROM {tables.RAW_ARTICLE_REJECTS} GROUP BY reason ORDER BY 2 DESC").fetchall()
            print(
                f"Articles read {totals[0]}, accepted {totals[1]}, rejected {totals[2]}, unroutable"
                f" {sum(u.records for u in unroutable)}; {totals[3]} languages, {totals[4]} countries"
            )
            for reason, count in reasons:
                print(f"  rejected, {reason}: {count}")
    print(format_summary(summary, unroutable))
    warehouse = defs.resources["warehouse"]
    print(f"\nWarehouse ({warehouse.backend}): {warehouse.database}")
    print(f"Datasets:           {settings.current().dataset_store_dir}")
    print(f"Models:             {settings.current().model_store_dir}")
    print(f"Published (local):  {settings.current().publish_dir}")
    print(f"Dagster instance:   {os.environ['DAGSTER_HOME']}")
    print("See it in the UI:   make ui   (then open http://127.0.0.1:3000)")
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
