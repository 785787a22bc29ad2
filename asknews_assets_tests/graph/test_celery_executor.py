"""Steps on many workers with Dagster's Celery executor (ASKNEWS_EXECUTOR=celery).

The end-to-end test starts real servers: Redis (the broker), PostgreSQL (the instance), the Dagster
webserver and daemon, and two Celery workers as separate processes, each in its own working
directory with its own copy of the news source, sharing only the broker, PostgreSQL and the
warehouse (ASKNEWS_DUCKDB_PATH: the backend the settings choose). A per-language backfill is
launched through the webserver's GraphQL API, as the UI does.
"""

import fcntl
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter, in_process_executor, materialize

from asknews_assets import execution
from asknews_assets.assets.ingest import raw_articles
from asknews_assets.assets.translation import translated_articles
from asknews_assets.partitions import ArticlePartition, article_partitions
from asknews_assets.resources import build_resources
from asknews_assets.settings import PROJECT_ROOT, Settings
from asknews_assets_tests.support.data.corpus import article, write_corpus
from asknews_assets_tests.support.processes.celery_workers import celery_worker, step_workers
from asknews_assets_tests.support.processes.dagster_processes import (
    LAUNCH_BACKFILL,
    dagster_processes,
    production_instance_yaml,
    wait_for,
    wait_for_backfill,
)
from asknews_assets_tests.support.processes.redis_server import redis_server, require_celery_stack

# The smallest backfill that can show two workers: two partitions of one language, then a third
# for the worker killed mid-step.
PARTITIONS = [ArticlePartition(country, "fr") for country in ("BE", "CH", "FR")]
ASSETS = [raw_articles, translated_articles]
# Seconds before the broker hands an unacknowledged step to another worker. Above the longest wait
# of a live step below (held until the other worker's run has started, a few daemon ticks), or that
# step would be handed out twice.
VISIBILITY_TIMEOUT = 60


# --- the executor switch ------------------------------------------------------------------------


def test_default_executor_runs_steps_in_the_run_process(monkeypatch):
    monkeypatch.delenv("ASKNEWS_EXECUTOR", raising=False)
    assert execution.build_executor() is in_process_executor


def test_unknown_executor_names_the_setting(monkeypatch):
    monkeypatch.setenv("ASKNEWS_EXECUTOR", "threads")
    with pytest.raises(ValueError, match="ASKNEWS_EXECUTOR"):
        execution.build_executor()


def test_celery_without_broker_fails_at_load_naming_the_setting():
    env = {**os.environ, "ASKNEWS_EXECUTOR": "celery", "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("ASKNEWS_CELERY_BROKER", None)
    done = subprocess.run(
        [sys.executable, "-c", "import asknews_assets.definitions"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "ExecutorUnavailable" in done.stderr and "ASKNEWS_CELERY_BROKER" in done.stderr


def test_k8s_executor_needs_dagster_k8s(monkeypatch):
    monkeypatch.setenv("ASKNEWS_EXECUTOR", "k8s")
    try:
        from dagster_k8s import k8s_job_executor
    except ImportError:
        with pytest.raises(execution.ExecutorUnavailable, match=r"asknews-assets\[k8s\]"):
            execution.build_executor()
    else:
        assert execution.build_executor() is k8s_job_executor


def test_celery_executor_configuration(monkeypatch):
    require_celery_stack()
    monkeypatch.setenv("ASKNEWS_EXECUTOR", "celery")
    monkeypatch.setenv("ASKNEWS_CELERY_BROKER", "redis://:secret@broker:6379/0")
    monkeypatch.setenv("ASKNEWS_CELERY_VISIBILITY_TIMEOUT", "600")
    executor = execution.build_executor()
    assert executor.name == "asknews_celery"
    config = execution.celery_config()
    assert config["broker"] == {"env": "ASKNEWS_CELERY_BROKER"}  # the URL (and its password) stays in the env
    assert config["backend"] == {"env": "ASKNEWS_CELERY_BROKER"}
    assert config["config_source"]["task_acks_late"] is True
    assert config["config_source"]["broker_transport_options"]["visibility_timeout"] == 600
    assert "secret" not in yaml.safe_dump(config)


def test_model_steps_go_to_the_gpu_queue_and_the_rest_to_the_cpu_queue():
    from asknews_assets.definitions import defs

    graph = defs.get_repository_def().asset_graph
    queue = lambda key: graph.get(key).assets_def.op.tags.get("dagster-celery/queue", execution.CPU_QUEUE)  # noqa: E731
    by_group = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            by_group.setdefault(node.group_name, set()).add(queue(key))
    assert by_group.pop("models") == {execution.GPU_QUEUE}
    assert set().union(*by_group.values()) == {execution.CPU_QUEUE}


# --- end to end ---------------------------------------------------------------------------------


def _corpus(root: Path) -> None:
    files = {}
    for partition in PARTITIONS:
        country = partition.country
        rows = [article(f"{country}-{n}", country, "fr", text=f"Article {n} de {country}: une histoire unique.") for n in range(3)]
        rows += [article(f"{country}-0", country, "fr"), "{broken"]  # a duplicate id, invalid JSON
        files[f"fr/{country}.jsonl"] = rows
    write_corpus(root, files)


def _tables(database: Path) -> dict[str, list[tuple]]:
    conn = duckdb.connect(str(database), read_only=True)
    try:
        return {
            table: conn.execute(f"SELECT * EXCLUDE ({exclude}) FROM {table} ORDER BY ALL").fetchall()
            if exclude else conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table, exclude in {
                "raw_articles": "",
                "raw_article_rejects": "",
                "raw_ingest_stats": "run_id, materialized_at",  # differ by run by design
                "translated_articles": "",
            }.items()
        }  # fmt: skip
    finally:
        conn.close()


def _in_process_reference(tmp_path: Path, monkeypatch) -> dict[str, list[tuple]]:
    """The same partitions materialised in this process with Dagster's in-process executor."""
    _corpus(tmp_path / "reference" / "corpus")
    database = tmp_path / "reference" / "warehouse.duckdb"
    monkeypatch.setenv("ASKNEWS_SOURCE_DIR", str(tmp_path / "reference" / "corpus"))
    monkeypatch.setenv("ASKNEWS_DUCKDB_PATH", str(database))
    resources = build_resources(Settings.from_env(deployment="local"))
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(article_partitions.name, [p.key for p in PARTITIONS])
        for partition in PARTITIONS:
            result = materialize(ASSETS, partition_key=partition.key, resources=resources, instance=instance)
            assert result.success
    return _tables(database)


@contextmanager
def _warehouse_held(database: Path):
    """Take the file warehouse's writer lock: a step that writes waits, mid-step, until released."""
    with open(database.with_name(database.name + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _backfill(server, partitions) -> str:
    params = {
        "partitionNames": [str(p) for p in partitions],
        "assetSelection": [{"path": [a.key.path[-1]]} for a in ASSETS],
        "title": "French, a few countries",
    }
    launched = server.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def _runs(instance, backfill_id):
    return instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill_id}))


def _executions(instance, backfill_id) -> list[tuple[str, str]]:
    return [pair for run in _runs(instance, backfill_id) for pair in step_workers(instance, run.run_id)]


@pytest.mark.e2e
def test_backfill_on_two_celery_workers_with_one_killed_mid_step(tmp_path, postgres, monkeypatch):  # noqa: F811
    redis_binary = require_celery_stack()
    expected = _in_process_reference(tmp_path, monkeypatch)
    assert sum(len(rows) for rows in expected.values()) > 0

    for name, value in postgres.env().items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    instance_yaml = production_instance_yaml(home)
    config = yaml.safe_load(instance_yaml.read_text())
    # Step logs stay with each worker (a cluster ships them to object storage); nothing on disk is shared.
    config["compute_logs"] = {"module": "dagster._core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"}
    instance_yaml.write_text(yaml.safe_dump(config, sort_keys=False))

    database = tmp_path / "shared" / "warehouse.duckdb"  # the DuckDB file backend (ASKNEWS_DUCKDB_PATH)
    database.parent.mkdir(parents=True, exist_ok=True)
    with redis_server(tmp_path / "redis", redis_binary) as redis:
        shared = {
            **postgres.env(),
            "ASKNEWS_EXECUTOR": "celery",
            "ASKNEWS_CELERY_BROKER": redis.url,
            "ASKNEWS_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "ASKNEWS_DUCKDB_PATH": str(database),
            "ASKNEWS_DISCOVERY_SENSOR": "off",
            "ASKNEWS_PARTITIONS_PER_RUN": "1",  # a run per partition, as the reference run
            "HF_HUB_OFFLINE": "1",
        }
        # The webserver, daemon and run workers see no articles: only the Celery workers' steps can.
        (tmp_path / "empty").mkdir()
        orchestration = {**shared, "ASKNEWS_SOURCE_DIR": str(tmp_path / "empty"), "ASKNEWS_DATA_DIR": str(tmp_path / "data")}

        def worker_env(directory: Path) -> dict[str, str]:
            _corpus(directory / "corpus")
            return {**shared, "DAGSTER_HOME": str(directory), "ASKNEWS_SOURCE_DIR": str(directory / "corpus"),
                    "ASKNEWS_DATA_DIR": str(directory / "data")}  # fmt: skip

        with (
            dagster_processes(home, orchestration) as server,
            celery_worker("cpu-1", tmp_path / "worker-1", worker_env(tmp_path / "worker-1")) as first,
            celery_worker("cpu-2", tmp_path / "worker-2", worker_env(tmp_path / "worker-2")) as second,
            DagsterInstance.from_config(str(home)) as instance,
        ):
            instance.add_dynamic_partitions(article_partitions.name, [p.key for p in PARTITIONS])
            nodes = {first.node, second.node}

            # 1. Two partitions. The warehouse is held until each worker has taken a step (one step
            # at a time per worker), so both really run steps, whatever the scheduling.
            with _warehouse_held(database):
                spread = _backfill(server, PARTITIONS[:2])
                wait_for(lambda: {w for _, w in _executions(instance, spread)} == nodes, 240, "a step on each worker")
            assert wait_for_backfill(server, spread) in ("COMPLETED", "COMPLETED_SUCCESS")
            runs = _runs(instance, spread)
            assert len(runs) == 2 and all(run.status == DagsterRunStatus.SUCCESS for run in runs)
            executions = _executions(instance, spread)
            assert {w for _, w in executions} == nodes
            asset_steps = [step for step, _ in executions if step in {a.key.path[-1] for a in ASSETS}]
            assert sorted(asset_steps) == sorted([a.key.path[-1] for a in ASSETS] * 2)  # each once per run
            print("steps per worker:", {node: sum(w == node for _, w in executions) for node in sorted(nodes)})

            # 2. The third partition; the worker that takes raw_articles is killed mid-step (waiting
            # for the warehouse). The broker hands the unacknowledged step to the other worker.
            with _warehouse_held(database):
                killed_run = _backfill(server, PARTITIONS[2:])
                taken = wait_for(lambda: _executions(instance, killed_run), 240, "the step to start on a worker")
                assert taken[0][0] == "raw_articles"
                victim = first if taken[0][1] == first.node else second
                survivor = second if victim is first else first
                time.sleep(1)
                victim.kill()
            started = time.monotonic()
            assert wait_for_backfill(server, killed_run) in ("COMPLETED", "COMPLETED_SUCCESS")
            [run] = _runs(instance, killed_run)
            assert run.status == DagsterRunStatus.SUCCESS
            raw_executions = [w for step, w in _executions(instance, killed_run) if step == "raw_articles"]
            assert raw_executions == [victim.node, survivor.node]
            print(f"step redelivered and finished {time.monotonic() - started:.0f}s after the kill")

    got = _tables(database)
    assert got == expected
    conn = duckdb.connect(str(database), read_only=True)
    read, accepted, rejected = conn.execute("SELECT sum(read), sum(accepted), sum(rejected) FROM raw_ingest_stats").fetchone()
    assert read == accepted + rejected == 5 * len(PARTITIONS)
    assert (accepted, rejected) == (len(got["raw_articles"]), len(got["raw_article_rejects"]))
    conn.close()
