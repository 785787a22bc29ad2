"""DuckLake with real servers: concurrent writers from separate processes, a read-only reader beside
them, time travel, and a writer killed mid-transaction.

PostgreSQL is started by the test (CI installs it and requires these tests to run). It holds both the
Dagster instance (deploy/production/dagster.yaml) and the DuckLake catalog, in separate databases.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, materialize

from asknews_assets.assets.ingest import raw_articles
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.settings import PROJECT_ROOT
from asknews_assets_tests.support.data.corpus_generator import load_generator
from asknews_assets_tests.support.data.run_tables import PER_RUN_COLUMNS, RAW_TABLES
from asknews_assets_tests.support.processes.dagster_processes import (
    ADD_PARTITION,
    GRAPHQL_TIMEOUT,
    LAUNCH_RUN,
    REEXECUTE_RUN,
    REPOSITORY,
    TERMINATE_RUN,
    alive,
    dagster_processes,
    failure_messages,
    partition_launch_params,
    production_instance_yaml,
    run_finished,
    step_started,
    wait_for,
    worker_pids,
)

pytestmark = pytest.mark.e2e


def lake_rows(warehouse: Warehouse, version: int | None = None) -> dict[str, list[tuple]]:
    """Every raw table's rows, sorted, without the columns that differ between runs (optionally as of a snapshot)."""
    at = f" AT (VERSION => {int(version)})" if version is not None else ""
    found = {}
    with warehouse.get_connection() as conn:
        for table in RAW_TABLES:
            if not conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_catalog = current_database()",
                [table],
            ).fetchone()[0]:
                found[table] = []
                continue
            columns = [row[0] for row in conn.execute(f"DESCRIBE {table}").fetchall()]
            kept = ", ".join(c for c in columns if c not in PER_RUN_COLUMNS)
            found[table] = conn.execute(f"SELECT {kept} FROM {table}{at} ORDER BY ALL").fetchall()
    return found


def _lake_env(tmp_path: Path, dsn: str, corpus: Path) -> dict[str, str]:
    return {
        "ASKNEWS_WAREHOUSE": "ducklake",
        "ASKNEWS_DUCKLAKE_CATALOG": dsn,
        "ASKNEWS_DUCKLAKE_DATA_PATH": str(tmp_path / "lake"),
        "ASKNEWS_SOURCE_DIR": str(corpus),
        "ASKNEWS_DATA_DIR": str(tmp_path / "data"),
        "ASKNEWS_DISCOVERY_SENSOR": "off",
        "HF_HUB_OFFLINE": "1",
    }


class SnapshotReader(threading.Thread):
    """Reads the lake read-only while writers run: per snapshot, the rows of every raw_articles partition."""

    def __init__(self, warehouse: Warehouse) -> None:
        super().__init__(daemon=True)
        self.warehouse, self.stop, self.seen, self.errors = warehouse, threading.Event(), {}, []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with self.warehouse.get_connection() as conn:
                    conn.execute("BEGIN TRANSACTION")  # one snapshot for both queries
                    (snapshot,) = conn.execute("SELECT id FROM lake.current_snapshot()").fetchone()
                    exists = conn.execute(
                        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_articles' AND table_catalog = 'lake'"
                    ).fetchone()[0]
                    counts = (
                        dict(conn.execute("SELECT language || '-' || country, count(*) FROM raw_articles GROUP BY 1").fetchall())
                        if exists
                        else {}
                    )
                    conn.execute("COMMIT")
                self.seen[int(snapshot)] = counts
            except Exception as error:  # recorded and asserted on: a reader must never fail
                self.errors.append(repr(error))
            time.sleep(0.2)


def test_concurrent_partition_runs_write_the_lake_without_loss_and_readers_see_whole_snapshots(tmp_path, postgres, monkeypatch):
    generator = load_generator()
    corpus = tmp_path / "corpus"
    manifest = generator.generate(corpus, articles=8000, countries=6, seed=21, fault_rate=0.05)
    partitions = sorted(manifest["per_partition"])
    assert len(partitions) >= 4
    dsn = postgres.create_database("lake")
    for name, value in postgres.env().items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    production_instance_yaml(home)
    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        instance.add_dynamic_partitions("article_pairs", partitions)

    lake = Warehouse(backend="ducklake", database=str(tmp_path / "lake"), catalog=dsn)
    with lake.get_connection():  # creates the catalog's tables, so that the reader can attach from the start
        pass
    reader = SnapshotReader(Warehouse(backend="ducklake", database=str(tmp_path / "lake"), catalog=dsn, read_only=True))
    reader.start()
    env = {**os.environ, **_lake_env(tmp_path, dsn, corpus), "DAGSTER_HOME": str(home)}
    dagster = Path(sys.executable).with_name("dagster")
    processes = {
        partition: subprocess.Popen(
            [str(dagster), "asset", "materialize", "-m", "asknews_assets.definitions", "--select", "raw_articles", "--partition", partition],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        for partition in partitions
    }  # fmt: skip
    try:
        outputs = {partition: process.communicate(timeout=480)[0].decode(errors="replace") for partition, process in processes.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        reader.stop.set()
        reader.join(timeout=30)
    for partition, process in processes.items():
        assert process.returncode == 0, outputs[partition][-3000:]

    # Every row once, none lost: the manifest's counts per partition and reason.
    tables = lake_rows(lake)
    with lake.get_connection() as conn:
        accepted = dict(conn.execute("SELECT language || '-' || country, count(*) FROM raw_articles GROUP BY 1").fetchall())
        distinct = conn.execute("SELECT count(DISTINCT (country, language, article_id)) FROM raw_articles").fetchone()[0]
        rejected = conn.execute("SELECT language || '-' || country, reason, count(*) FROM raw_article_rejects GROUP BY ALL").fetchall()
        stats = conn.execute("SELECT language || '-' || country, read, accepted, rejected FROM raw_ingest_stats").fetchall()
    assert accepted == {p: manifest["per_partition"][p]["accepted"] for p in partitions}
    assert distinct == len(tables["raw_articles"]) == manifest["expected_accepted"]
    expected_rejects = {(p, reason): n for p in partitions for reason, n in manifest["per_partition"][p]["rejected"].items()}
    assert {(p, reason): n for p, reason, n in rejected} == expected_rejects
    assert sorted(stats) == sorted(
        (p, manifest["per_partition"][p]["lines"], manifest["per_partition"][p]["accepted"], sum(manifest["per_partition"][p]["rejected"].values()))
        for p in partitions
    )  # fmt: skip
    assert all(read == a + r for _, read, a, r in stats)

    # The runs, their write windows and the conflicts they retried, from the instance in PostgreSQL.
    with postgres.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT status FROM runs")
        assert [status for (status,) in cursor.fetchall()] == ["SUCCESS"] * len(partitions)
        cursor.execute(
            "SELECT timestamp, dagster_event_type FROM event_logs WHERE step_key = 'raw_articles'"
            " AND dagster_event_type IN ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE')"
        )
        steps_at_once = _most_at_once(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM event_logs WHERE event LIKE %s", ("%warehouse commit conflict%",))
        retries = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM event_logs WHERE event LIKE %s", (f"%{postgres.password}%",))
        assert cursor.fetchone()[0] == 0, "the catalog password reached the event log"
    assert postgres.password not in "".join(outputs.values())
    print(
        f"\n{len(partitions)} partition runs, at most {steps_at_once} raw_articles steps at once:"
        f" {retries} commit conflicts retried; the reader saw {len(reader.seen)} snapshots"
    )
    assert steps_at_once >= 2  # the writers really overlapped

    # The reader only ever saw whole partitions, and each snapshot it saw reads the same by time travel.
    assert reader.errors == [] and len(reader.seen) >= 2
    full = {p: manifest["per_partition"][p]["accepted"] for p in partitions}
    for snapshot, counts in reader.seen.items():
        assert all(full[p] == n for p, n in counts.items()), (snapshot, counts)
    with lake.get_connection() as conn:
        for snapshot, counts in reader.seen.items():
            if counts:
                past = conn.execute(
                    f"SELECT language || '-' || country, count(*) FROM raw_articles AT (VERSION => {snapshot}) GROUP BY 1"
                ).fetchall()
                assert dict(past) == counts, snapshot


def _most_at_once(events: list[tuple]) -> int:
    """The most steps running at one time, from (timestamp, STEP_START | STEP_SUCCESS | STEP_FAILURE) events."""
    running = most = 0
    for _, kind in sorted(events, key=lambda e: (e[0], e[1] == "STEP_START")):
        running += 1 if kind == "STEP_START" else -1
        most = max(most, running)
    return most


def test_a_writer_killed_mid_transaction_leaves_the_previous_snapshot_and_the_rerun_equals_an_uninterrupted_run(
    tmp_path, postgres, instance
):
    generator = load_generator()
    corpus = tmp_path / "corpus"
    manifest = generator.generate(corpus, articles=30_000, countries=1, seed=11, fault_rate=0.02)
    (partition,) = manifest["per_partition"]
    instance.add_dynamic_partitions("article_pairs", [partition])

    # The reference: the partition written without interruption into a lake of its own.
    reference_lake = Warehouse(backend="ducklake", database=str(tmp_path / "reference"), catalog=postgres.create_database("reference"))
    resources = {"source": FileNewsSource(directory=str(corpus)), "warehouse": reference_lake}
    assert materialize([raw_articles], partition_key=partition, instance=instance, resources=resources).success
    reference = lake_rows(reference_lake)
    assert len(reference["raw_articles"]) == manifest["expected_accepted"]

    # The lake under test holds an older version of the partition.
    dsn = postgres.create_database("lake")
    lake = Warehouse(backend="ducklake", database=str(tmp_path / "lake"), catalog=dsn)
    older = generator.generate(tmp_path / "older", articles=300, countries=1, seed=12, fault_rate=0.1)
    resources = {"source": FileNewsSource(directory=str(tmp_path / "older")), "warehouse": lake}
    assert materialize([raw_articles], partition_key=partition, instance=instance, resources=resources).success
    stale = lake_rows(lake)
    assert len(stale["raw_articles"]) == older["expected_accepted"]
    with lake.get_connection() as conn:
        (before,) = conn.execute("SELECT id FROM lake.current_snapshot()").fetchone()
    table_folder = tmp_path / "lake" / "main" / "raw_articles"
    files_before = set(table_folder.rglob("*.parquet"))

    home = tmp_path / "home"
    with dagster_processes(home, _lake_env(tmp_path, dsn, corpus)) as server:
        added = server.graphql(ADD_PARTITION, {"repositorySelector": REPOSITORY, "key": partition}, GRAPHQL_TIMEOUT)
        assert added["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess"
        params = partition_launch_params("article_partition_job", partition, ["raw_articles"])
        launched = server.graphql(LAUNCH_RUN, {"executionParams": params}, GRAPHQL_TIMEOUT)["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]

        with DagsterInstance.from_config(str(home)) as observer:
            wait_for(lambda: step_started(observer, run_id, "raw_articles"), 120, "raw_articles to start")
            pids = worker_pids(observer, run_id)
            assert pids, "no worker process reported its pid"  # steps run in the run worker (in-process executor)
            # Mid-transaction: the new rows' Parquet file is being written, not yet in the catalog.
            wait_for(lambda: set(table_folder.rglob("*.parquet")) - files_before, 120, "raw_articles to start writing", 0.005)
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not any(alive(pid) for pid in pids), 30, "the killed workers to exit")

            # The catalog never took the killed transaction: same snapshot, same rows.
            with lake.get_connection() as conn:
                assert conn.execute("SELECT id FROM lake.current_snapshot()").fetchone() == (before,)
            assert lake_rows(lake) == stale

            ended = (DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE)
            if observer.get_run_by_id(run_id).status == DagsterRunStatus.STARTED:
                terminated = server.graphql(TERMINATE_RUN, {"runId": run_id}, GRAPHQL_TIMEOUT)["terminateRun"]
                # A surviving parent may mark the run failed in the meantime: then nothing is left to terminate.
                assert terminated["__typename"] == "TerminateRunSuccess" or observer.get_run_by_id(run_id).status in ended, terminated
            assert observer.get_run_by_id(run_id).status in ended

            params = {"parentRunId": run_id, "strategy": "FROM_FAILURE"}
            rerun = server.graphql(REEXECUTE_RUN, {"params": params}, GRAPHQL_TIMEOUT)["launchRunReexecution"]
            assert rerun["__typename"] == "LaunchRunSuccess", rerun
            rerun_id = rerun["run"]["runId"]
            status = wait_for(lambda: run_finished(observer, rerun_id), 180, "the re-execution to finish")
            assert status == DagsterRunStatus.SUCCESS, failure_messages(observer, rerun_id)

    assert lake_rows(lake) == reference
    # The killed snapshot's predecessor is still readable as it was.
    assert lake_rows(lake, version=before) == stale
