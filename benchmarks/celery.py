"""Steps on Celery workers against steps in the run's own process, on the same stack.

A PostgreSQL-backed instance (deploy/production/dagster.yaml, local launcher), a Dagster webserver and
daemon, a Redis broker and Celery workers (asknews_assets.celery_app) are started as real processes;
the same per-language backfill (raw_articles and translated_articles of N countries of one language)
is launched through GraphQL three times, each into a fresh warehouse:

1. ASKNEWS_EXECUTOR=in_process: the baseline;
2. ASKNEWS_EXECUTOR=celery with one worker;
3. the same with two workers.

Figures: wall time from launch to the backfill's completion, and the per-step overhead of each
executor: (run duration - time inside the steps) / steps, averaged over the runs; the ratios are
to the baseline of the same run. On a 2-core machine two workers cannot do much better than one.

    python -m benchmarks celery            # 6 countries (12 steps + checks)
    python -m benchmarks celery --quick    # 3 countries
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import yaml
from dagster import DagsterInstance, RunsFilter

from asknews_assets.partitions import ArticlePartition, article_partitions, country_names
from asknews_assets_tests.support.data.corpus import article, write_corpus
from asknews_assets_tests.support.processes.celery_workers import celery_worker
from asknews_assets_tests.support.processes.dagster_processes import (
    LAUNCH_BACKFILL,
    dagster_processes,
    production_instance_yaml,
    wait_for_backfill,
)
from asknews_assets_tests.support.processes.postgres_server import postgres_bin_dir, postgres_server
from asknews_assets_tests.support.processes.redis_server import redis_server

IN_DEFAULT_SUITE = False  # starts servers and several backfills: run it by name
ASSETS = ("raw_articles", "translated_articles")
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
ARTICLES_PER_PARTITION = 20


def _partitions(count: int) -> list[ArticlePartition]:
    return [ArticlePartition(country, "fr") for country in sorted(country_names())[:count]]


def _corpus(root: Path, partitions: list[ArticlePartition]) -> None:
    write_corpus(root, {
        f"{p.language}/{p.country}.jsonl": [
            article(f"{p.country}-{n}", p.country, p.language, text=f"Article {n} de {p.country}: une histoire.")
            for n in range(ARTICLES_PER_PARTITION)
        ]
        for p in partitions
    })  # fmt: skip


def _backfill(server, instance, partitions, run_config: dict | None) -> tuple[float, float, int]:
    """(wall seconds, per-step overhead seconds, steps) of one backfill."""
    params = {"partitionNames": [str(p) for p in partitions], "assetSelection": [{"path": [a]} for a in ASSETS]}
    if run_config:
        params["runConfigData"] = run_config
    started = time.monotonic()
    launched = server.graphql(LAUNCH_BACKFILL, {"params": params}, 180)["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    status = wait_for_backfill(server, launched["backfillId"], 1800, interval=1)
    wall = time.monotonic() - started
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status
    runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": launched["backfillId"]}))
    overheads, steps = [], 0
    for run in runs:
        stats = instance.get_run_stats(run.run_id)
        step_stats = instance.get_run_step_stats(run.run_id)
        inside = sum(s.end_time - s.start_time for s in step_stats if s.end_time and s.start_time)
        overheads.append((stats.end_time - stats.start_time - inside) / len(step_stats))
        steps += len(step_stats)
    return wall, sum(overheads) / len(overheads), steps


def measure(countries: int, work: Path) -> dict[str, tuple[float, float, int]]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql")
    partitions = _partitions(countries)
    results = {}
    with ExitStack() as stack:
        postgres = stack.enter_context(postgres_server(work / "postgres", bin_dir))
        redis_binary = shutil.which("redis-server")
        if redis_binary is None:
            raise RuntimeError("the Redis server (the broker) is not installed: apt-get install redis-server")
        redis = stack.enter_context(redis_server(work / "redis", redis_binary))
        os.environ.update(postgres.env())  # the instance yaml reads them in this process too
        for mode in ("in_process", "celery"):
            home = work / f"home-{mode}"
            config = yaml.safe_load(production_instance_yaml(home).read_text())
            config["compute_logs"] = {"module": "dagster._core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"}
            (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
            _corpus(work / "corpus", partitions)
            env = {**postgres.env(), "ASKNEWS_SOURCE_DIR": str(work / "corpus"), "ASKNEWS_DISCOVERY_SENSOR": "off",
                   "ASKNEWS_DATA_DIR": str(work / "data"), "HF_HUB_OFFLINE": "1",
                   "ASKNEWS_EXECUTOR": "in_process" if mode == "in_process" else "celery",
                   "ASKNEWS_CELERY_BROKER": redis.url, "ASKNEWS_PARTITIONS_PER_RUN": "1"}  # fmt: skip
            env["ASKNEWS_DUCKDB_PATH"] = str(work / f"warehouse-{mode}.duckdb")
            with ExitStack() as servers:
                server = servers.enter_context(dagster_processes(home, env))
                instance = servers.enter_context(DagsterInstance.from_config(str(home)))
                instance.add_dynamic_partitions(article_partitions.name, [p.key for p in partitions])
                if mode == "in_process":
                    results["in-process"] = _backfill(server, instance, partitions, IN_PROCESS)
                    continue
                for workers in (1, 2):
                    with ExitStack() as pool:
                        for n in range(workers):
                            pool.enter_context(celery_worker(f"bench-{workers}-{n}", work / f"worker-{workers}-{n}", env))
                        label = f"celery, {workers} worker" + ("s" if workers > 1 else "")
                        results[label] = _backfill(server, instance, partitions, None)
    return results


def rows_of(results: dict[str, tuple[float, float, int]]) -> list[dict]:
    base_wall, base_overhead, _ = results["in-process"]
    rows = []
    for label, (wall, overhead, steps) in results.items():
        rows.append({"benchmark": "celery", "figure": f"{label}: backfill wall s ({steps} steps)", "value": round(wall, 1),
                     "target": None, "ratio": round(wall / base_wall, 2), "passed": True})  # fmt: skip
        rows.append({"benchmark": "celery", "figure": f"{label}: overhead s/step", "value": round(overhead, 2),
                     "target": None, "ratio": round(overhead / base_overhead, 2) if base_overhead else None,
                     "passed": True})  # fmt: skip
    return rows


def run(quick: bool = False) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="asknews-celery-bench-") as work:
        return rows_of(measure(3 if quick else 6, Path(work)))
