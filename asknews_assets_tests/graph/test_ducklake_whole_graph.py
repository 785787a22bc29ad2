"""The graph over the sample corpus into DuckLake gives every table equal, row for row, to the same
run into the embedded DuckDB file.

Both runs are the demo (`asknews_assets.demo`: every partition of the sample corpus through the
article layer, then the dataset and its publication) in their own data folder, Dagster instance and
warehouse, started at once; PostgreSQL (the DuckLake catalog) is started by the test. The fine-tuning
jobs are left out: on CPU they take most of an hour and only write through the same storage functions.
Columns that record when or in which run a row was written differ between any two runs and are left
out of the comparison.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

PER_RUN_COLUMNS = {"run_id", "materialized_at", "annotated_at", "created_at"}
DATA_JOBS = "[('dataset_job', None), ('publish_dataset_job', None)]"
DEMO = f"import sys, asknews_assets.demo as demo; demo.WHOLE_GRAPH_JOBS[:] = {DATA_JOBS}; sys.exit(demo.main())"


def warehouse_tables(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Every table of the warehouse's default catalog: its rows sorted, without the per-run columns."""
    found = {}
    with warehouse.get_connection() as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            columns = [name for name, *_ in conn.execute(f"DESCRIBE {table}").fetchall() if name not in PER_RUN_COLUMNS]
            quoted = ", ".join(f'"{c}"' for c in columns)
            found[table] = conn.execute(f"SELECT {quoted} FROM {table} ORDER BY ALL").fetchall()
    return found


def test_the_whole_graph_into_ducklake_equals_the_embedded_run(tmp_path, postgres):
    dsn = postgres.create_database("lake")
    backends = {
        "duckdb": {"ASKNEWS_WAREHOUSE": "duckdb", "ASKNEWS_DUCKDB_PATH": str(tmp_path / "duckdb" / "asknews.duckdb")},
        "ducklake": {
            "ASKNEWS_WAREHOUSE": "ducklake",
            "ASKNEWS_DUCKLAKE_CATALOG": dsn,
            "ASKNEWS_DUCKLAKE_DATA_PATH": str(tmp_path / "ducklake" / "lake"),
        },
    }
    processes = {}
    for backend, settings in backends.items():
        root = tmp_path / backend
        home = root / "dagster_home"
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_bytes((PROJECT_ROOT / "deploy" / "local" / "dagster.yaml").read_bytes())
        env = {
            **os.environ,
            **settings,
            "ASKNEWS_DATA_DIR": str(root / "data"),
            "DAGSTER_HOME": str(home),
            "ASKNEWS_DISCOVERY_SENSOR": "off",
            "ASKNEWS_PUBLISH_SENSOR": "off",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        log = open(root / "demo.log", "wb")
        processes[backend] = (
            subprocess.Popen([sys.executable, "-c", DEMO], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
            log,
        )
    try:
        for backend, (process, log) in processes.items():
            assert process.wait(timeout=3600) == 0, (tmp_path / backend / "demo.log").read_text(errors="replace")[-4000:]
    finally:
        for process, log in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()

    embedded = warehouse_tables(Warehouse(database=backends["duckdb"]["ASKNEWS_DUCKDB_PATH"]))
    lake = warehouse_tables(
        Warehouse(backend="ducklake", database=backends["ducklake"]["ASKNEWS_DUCKLAKE_DATA_PATH"], catalog=dsn, read_only=True)
    )
    assert sorted(lake) == sorted(embedded)
    written = ("raw_articles", "translated_articles", "article_summaries", "article_embeddings", "topics",
               "diversified_sample", "annotated_articles", "dataset_splits")  # fmt: skip
    assert all(embedded.get(table) for table in written), {table: len(embedded.get(table, [])) for table in written}
    for table in embedded:
        assert lake[table] == embedded[table], table
