"""The main job: materialise the whole asset graph over every partition the source holds.

Runs every job in this process against the persistent Dagster instance in $DAGSTER_HOME, so
`dagster dev` on the same instance shows every materialisation afterwards.
"""

from __future__ import annotations

import os
import sys
import time

from dagster import DagsterInstance

from asknews_assets import settings
from asknews_assets.definitions import defs
from asknews_assets.partitions import country_partitions

# Jobs that follow the per-partition ones, in graph order, with their partition (None: unpartitioned).
# The demo fine-tunes the small variant only; the publication sensor would launch the publish jobs
# on its own under `dagster dev`, the demo runs them directly so it ends with everything published.
WHOLE_GRAPH_JOBS: list[tuple[str, str | None]] = [
    ("dataset_job", None),
    ("model_job", "small"),
    ("publish_dataset_job", None),
    ("publish_models_job", "small"),
]
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _run(job_name: str, instance: DagsterInstance, partition_key: str | None = None) -> None:
    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance, partition_key=partition_key, raise_on_error=False, run_config=QUIET
    )
    if not result.success:
        raise SystemExit(f"{job_name} failed for {partition_key or 'the whole graph'}; see the run in the UI")


def main() -> int:
    if "DAGSTER_HOME" not in os.environ:
        raise SystemExit("set DAGSTER_HOME (the Makefile sets it to data/dagster_home)")
    instance = DagsterInstance.get()
    source = defs.resources["source"]
    partitions = source.list_partitions()
    countries = sorted({p.country for p in partitions})
    instance.add_dynamic_partitions(country_partitions.name, countries)
    print(f"source {source.backend}: {len(partitions)} country x language partitions, {len(countries)} countries")

    started = time.monotonic()
    for number, partition in enumerate(partitions, 1):
        _run("article_partition_job", instance, str(partition))
        print(f"  [{number}/{len(partitions)}] {partition}", flush=True)
    for job_name, partition_key in WHOLE_GRAPH_JOBS:
        step_started = time.monotonic()
        _run(job_name, instance, partition_key)
        print(f"  {job_name}{f' [{partition_key}]' if partition_key else ''}: {time.monotonic() - step_started:.0f}s", flush=True)

    with defs.resources["warehouse"].get_connection() as conn:
        totals = conn.execute(
            "SELECT sum(read), sum(accepted), sum(rejected), count(DISTINCT language), count(DISTINCT country) FROM raw_ingest_stats"
        ).fetchone()
        reasons = conn.execute("SELECT reason, count(*) FROM raw_article_rejects GROUP BY reason ORDER BY 2 DESC").fetchall()
    print(f"\nDone in {time.monotonic() - started:.0f}s.")
    print(f"Articles read {totals[0]}, accepted {totals[1]}, rejected {totals[2]}; {totals[3]} languages, {totals[4]} countries")
    for reason, count in reasons:
        print(f"  rejected, {reason}: {count}")
    warehouse = defs.resources["warehouse"]
    print(f"\nWarehouse ({warehouse.backend}): {warehouse.database}")
    print(f"Datasets:           {settings.dataset_store_dir()}")
    print(f"Models:             {settings.model_store_dir()}")
    print(f"Published (local):  {settings.publish_dir()}")
    print(f"Dagster instance:   {os.environ['DAGSTER_HOME']}")
    print("See it in the UI:   make ui   (then open http://127.0.0.1:3000)")
    return 0

if __name__ == "__main__":
    sys.exit(main())
