"""A run killed midway (as when a node is lost) leaves the warehouse consistent, and re-executing it
yields exactly what an uninterrupted run produces.

The partition is a big synthetic one (scripts/generate_synthetic_corpus.py) so that raw_articles
takes several seconds; its worker processes are found from the run's own engine events and killed
with SIGKILL while the step holds the warehouse's writer lock, mid-transaction. The generator's
promise (exact accepted and rejected counts per reason) is checked here too, since the comparison
rests on it.
"""

import os
import signal
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus, materialize

from asknews_assets.assets.ingest import raw_articles
from asknews_assets.checks.ingest import raw_articles_accounted, raw_articles_unique
from asknews_assets.ingest.articles import ingest_partition
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse.resource import Warehouse
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
    run_finished,
    step_started,
    wait_for,
    worker_pids,
)

def table_rows(database: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows, sorted, without the columns that differ between runs."""
    conn = duckdb.connect(str(database), read_only=True)
    try:
        found = {}
        for table in RAW_TABLES:
            columns = [row[0] for row in conn.execute(f"DESCRIBE {table}").fetchall()]
            kept = ", ".join(c for c in columns if c not in PER_RUN_COLUMNS)
            found[table] = conn.execute(f"SELECT {kept} FROM {table} ORDER BY ALL").fetchall()
        return found
    finally:
        conn.close()


def test_synthetic_corpus_is_deterministic_and_its_expected_counts_hold(tmp_path):
    generator = load_generator()
    manifest = generator.generate(tmp_path / "a", articles=3000, countries=60, seed=5, fault_rate=0.1)
    generator.generate(tmp_path / "b", articles=3000, countries=60, seed=5, fault_rate=0.1)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.jsonl"))
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert len(manifest["languages"]) == 12 and len(manifest["countries"]) == 60
    assert len(manifest["expected_rejected"]) == len(generator.FAULT_REASONS)

    source = FileNewsSource(directory=str(tmp_path / "a"))
    assert source.unroutable_files() == []
    for partition in source.list_partitions():
        result = ingest_partition(source.read_partition(partition), partition)
        expected = manifest["per_partition"][str(partition)]
        assert (result.read, len(result.accepted), result.rejects_by_reason()) == (
            expected["lines"], expected["accepted"], expected["rejected"]
        ), partition
        non_english = [a for a in result.accepted if a.language != "en"]
        assert all(a.eng_text and a.eng_title for a in non_english)


@pytest.mark.e2e
def test_killed_run_is_rerun_to_the_same_tables_as_an_uninterrupted_run(tmp_path, instance):
    generator = load_generator()
    corpus = tmp_path / "corpus"
    manifest = generator.generate(corpus, articles=30_000, countries=1, seed=11, fault_rate=0.02)
    (partition,) = manifest["per_partition"]

    # The reference: the same partition materialised without interruption into its own warehouse.
    instance.add_dynamic_partitions("article_pairs", [partition])
    reference_db = tmp_path / "reference.duckdb"
    source = FileNewsSource(directory=str(corpus))
    checks = [raw_articles_accounted, raw_articles_unique]
    resources = {"source": source, "warehouse": Warehouse(database=str(reference_db))}
    assert materialize([raw_articles, *checks], partition_key=partition, instance=instance, resources=resources).success
    reference = table_rows(reference_db)
    assert len(reference["raw_articles"]) == manifest["expected_accepted"]

    # The warehouse under test already holds an older version of the partition.
    database = tmp_path / "warehouse.duckdb"
    older = generator.generate(tmp_path / "older", articles=300, countries=1, seed=12, fault_rate=0.1)
    older_source = FileNewsSource(directory=str(tmp_path / "older"))
    resources = {"source": older_source, "warehouse": Warehouse(database=str(database))}
    assert materialize([raw_articles], partition_key=partition, instance=instance, resources=resources).success
    stale = table_rows(database)
    assert len(stale["raw_articles"]) == older["expected_accepted"]

    env = {
        "ASKNEWS_SOURCE_DIR": str(corpus),
        "ASKNEWS_DUCKDB_PATH": str(database),
        "ASKNEWS_DATA_DIR": str(tmp_path / "data"),
        "ASKNEWS_DISCOVERY_SENSOR": "off",
        "HF_HUB_OFFLINE": "1",
    }
    home = tmp_path / "home"
    with dagster_processes(home, env) as server:
        added = server.graphql(ADD_PARTITION, {"repositorySelector": REPOSITORY, "key": partition}, GRAPHQL_TIMEOUT)
        assert added["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess"
        params = partition_launch_params("article_partition_job", partition, ["raw_articles"])
        launched = server.graphql(LAUNCH_RUN, {"executionParams": params}, GRAPHQL_TIMEOUT)["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]

        with DagsterInstance.from_config(str(home)) as observer:
            wait_for(lambda: step_started(observer, run_id, "raw_articles"), 120, "raw_articles to start")
            pids = worker_pids(observer, run_id)
            assert pids, "no worker process reported its pid"
            # The hardest moment to die: while the step holds the warehouse's writer lock, inside its
            # replace-partition transaction (about 1 s of the step's 3-10 s).
            writer_lock = database.with_name(database.name + ".lock")
            wait_for(lambda: _holds_flock(pids, writer_lock), 120, "raw_articles to start writing", interval=0.01)
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not any(alive(pid) for pid in pids), 30, "the killed workers to exit")

            # Killed mid-step: the partition holds the old rows or the new ones, never a mix.
            assert table_rows(database) in (stale, reference)

            # A surviving parent may report the loss itself; otherwise the run is marked as an operator
            # would (run monitoring does it in the production instance).
            if observer.get_run_by_id(run_id).status == DagsterRunStatus.STARTED:
                terminated = server.graphql(TERMINATE_RUN, {"runId": run_id}, GRAPHQL_TIMEOUT)["terminateRun"]
                assert terminated["__typename"] == "TerminateRunSuccess", terminated
            assert observer.get_run_by_id(run_id).status in (DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE)

            params = {"parentRunId": run_id, "strategy": "FROM_FAILURE"}
            rerun = server.graphql(REEXECUTE_RUN, {"params": params}, GRAPHQL_TIMEOUT)["launchRunReexecution"]
            assert rerun["__typename"] == "LaunchRunSuccess", rerun
            rerun_id = rerun["run"]["runId"]
            status = wait_for(lambda: run_finished(observer, rerun_id), 180, "the re-execution to finish")
            assert status == DagsterRunStatus.SUCCESS, failure_messages(observer, rerun_id)
            assert observer.get_run_by_id(rerun_id).tags["dagster/partition"] == partition

    assert table_rows(database) == reference


def _holds_flock(pids: list[int], path: Path) -> bool:
    """Whether one of `pids` holds a flock on `path`.

    /proc/locks lines read "1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF".
    """
    if not path.exists():
        return False
    inode = str(path.stat().st_ino)
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # a waiter's line reads "1: -> FLOCK ..." and is skipped: it holds nothing
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == inode:
            if int(fields[4]) in pids:
                return True
    return False
