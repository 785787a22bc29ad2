"""The production configuration (deploy/production/) against Dagster's schemas and a real PostgreSQL.

A local PostgreSQL server is started for the e2e test; Dagster's CLI loads the code location with
DAGSTER_HOME holding the production dagster.yaml and materialises a raw_articles partition; the run,
its materialisation and the dynamic partition are then read back from PostgreSQL itself.
"""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import process_workspace_config

from asknews_assets.settings import PROJECT_ROOT
from asknews_assets_tests.support.data.corpus import article, write_corpus
from asknews_assets_tests.support.processes.dagster_processes import PRODUCTION_YAML, production_instance_yaml


def test_production_files_are_valid_dagster_configuration(monkeypatch):
    """The shipped files pass Dagster's own schemas (the cluster-only classes are checked on a cluster)."""
    config, _ = dagster_instance_config(str(PRODUCTION_YAML.parent))
    assert config["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}
    assert {limit["key"] for limit in config["concurrency"]["runs"]["tag_concurrency_limits"]} >= {"dagster/backfill"}

    monkeypatch.setenv("ASKNEWS_CODE_LOCATION_HOST", "asknews-code-location")
    workspace = process_workspace_config(yaml.safe_load((PRODUCTION_YAML.parent / "workspace.yaml").read_text()))
    assert workspace.success, workspace.errors
    assert workspace.value["load_from"][0]["grpc_server"]["host"] == "asknews-code-location"
    for run_config in (PRODUCTION_YAML.parent / "run_config").glob("*.yaml"):
        assert set(yaml.safe_load(run_config.read_text())["execution"]["config"]) >= {"retries"}, run_config


@pytest.mark.e2e
def test_partition_materialised_through_the_production_instance(tmp_path, postgres, monkeypatch):
    for name, value in postgres.env().items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    production_instance_yaml(home)
    write_corpus(
        tmp_path / "corpus",
        {"fr/FR.jsonl": [article(f"fr-{n}", "FR", "fr", text=f"Article {n}: une histoire unique.") for n in range(3)]
         + ["{not json"]},
    )  # fmt: skip
    database = tmp_path / "warehouse" / "asknews.duckdb"

    with DagsterInstance.from_config(str(home)) as instance:
        # The instance really is the PostgreSQL one of the production file.
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 8
        instance.add_dynamic_partitions("article_pairs", ["fr-FR"])

    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ASKNEWS_SOURCE_DIR": str(tmp_path / "corpus"),
        "ASKNEWS_DUCKDB_PATH": str(database),
        "ASKNEWS_DATA_DIR": str(tmp_path / "data"),
        "ASKNEWS_DISCOVERY_SENSOR": "off",
        "HF_HUB_OFFLINE": "1",
    }
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "asset", "materialize", "-m", "asknews_assets.definitions",
               "--select", "raw_articles", "--partition", "fr-FR"]  # fmt: skip
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with postgres.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT run_id, status, pipeline_name FROM runs")
        runs = cursor.fetchall()
        assert len(runs) == 1 and runs[0][1] == "SUCCESS", runs
        run_id = runs[0][0]
        cursor.execute(
            "SELECT asset_key, partition FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
            (run_id, "ASSET_MATERIALIZATION"),
        )
        assert cursor.fetchall() == [(AssetKey("raw_articles").to_string(), "fr-FR")]
        cursor.execute("SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'article_pairs'")
        assert cursor.fetchall() == [("fr-FR",)]

    with DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.SUCCESS
        materialization = instance.get_latest_materialization_event(AssetKey("raw_articles"))
        assert materialization.run_id == run_id
        assert materialization.asset_materialization.metadata["accepted"].value == 3

    conn = duckdb.connect(str(database), read_only=True)
    assert conn.execute("SELECT count(*) FROM raw_articles WHERE country = 'FR' AND language = 'fr'").fetchone() == (3,)
    assert conn.execute("SELECT reason FROM raw_article_rejects").fetchall() == [("invalid JSON",)]
    conn.close()
