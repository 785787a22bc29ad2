"""The DuckLake warehouse backend against a real PostgreSQL catalog: extensions from the installed
packages, configuration, secrets kept out of errors, partition replacement, conflict retries,
read-only readers and time travel."""

from __future__ import annotations

import multiprocessing

import duckdb
import pandas as pd
import pytest

from asknews_assets import settings
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources import build_resources
from asknews_assets.warehouse import resource as warehouse_module
from asknews_assets.warehouse.resource import Warehouse, WarehouseUnavailable, connect_offline, load_extensions
from asknews_assets.warehouse.storage import read_partition, replace_partition, replace_table, table_exists, write_transaction
from asknews_assets.settings import Settings

MX_ES = ArticlePartition("MX", "es")
FR_FR = ArticlePartition("FR", "fr")
DDL = "country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, n INTEGER"


def _rows(partition: ArticlePartition, ids: range) -> pd.DataFrame:
    return pd.DataFrame(
        {"country": partition.country, "language": partition.language, "article_id": [f"a{i}" for i in ids], "n": list(ids)}
    )


def test_extensions_load_from_the_installed_packages_with_autoloading_off():
    conn = connect_offline()
    settings_now = dict(conn.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions')"
    ).fetchall())  # fmt: skip
    assert settings_now == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    load_extensions(conn, ["postgres_scanner", "ducklake", "httpfs"])
    loaded = {name for (name,) in conn.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()}
    assert {"postgres_scanner", "ducklake", "httpfs"} <= loaded
    conn.close()


def test_a_missing_extension_package_names_the_package_to_install(monkeypatch):
    monkeypatch.setitem(warehouse_module.EXTENSION_PACKAGES, "ducklake", ("duckdb-extension-notthere", "ducklake.duckdb_extension"))
    with pytest.raises(WarehouseUnavailable, match=rf"pip install duckdb-extension-notthere=={duckdb.__version__}"):
        load_extensions(connect_offline(), ["ducklake"])


def test_the_backend_is_chosen_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASKNEWS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ASKNEWS_WAREHOUSE", raising=False)
    assert build_resources(Settings.from_env(deployment="local"))["warehouse"].backend == "duckdb"

    monkeypatch.setenv("ASKNEWS_WAREHOUSE", "ducklake")
    monkeypatch.setenv("ASKNEWS_DUCKLAKE_CATALOG", "dbname=lake host=db.internal user=asknews password=hunter2")
    warehouse = build_resources(Settings.from_env(deployment="local"))["warehouse"]
    assert (warehouse.backend, warehouse.database) == ("ducklake", str(tmp_path / "lake"))
    monkeypatch.setenv("ASKNEWS_DUCKLAKE_DATA_PATH", "s3://bucket/asknews/")
    assert settings.current().ducklake_data_path == "s3://bucket/asknews/"

    monkeypatch.setenv("ASKNEWS_WAREHOUSE", "motherduck")
    with pytest.raises(ValueError, match="ASKNEWS_WAREHOUSE must be one of duckdb, ducklake"):
        build_resources(Settings.from_env(deployment="local"))


def test_ducklake_without_a_catalog_names_the_setting(tmp_path):
    with pytest.raises(WarehouseUnavailable, match="set ASKNEWS_DUCKLAKE_CATALOG"):
        with Warehouse(backend="ducklake", database=str(tmp_path / "lake")).get_connection():
            pass


def test_a_failed_attach_never_shows_the_password(tmp_path, postgres):
    dsn = postgres.dsn().replace(postgres.password, "wrong-secret-pw")
    with pytest.raises(WarehouseUnavailable) as raised:
        with Warehouse(backend="ducklake", database=str(tmp_path / "lake"), catalog=dsn).get_connection():
            pass
    assert "ASKNEWS_DUCKLAKE_CATALOG" in str(raised.value) and "password authentication failed" in str(raised.value)
    assert "wrong-secret-pw" not in str(raised.value) and raised.value.__cause__ is None


def test_partitions_are_replaced_and_read_back_through_the_lake(ducklake_warehouse, tmp_path):
    with ducklake_warehouse.get_connection() as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("lake",)
        assert not table_exists(conn, "articles")
        replace_partition(conn, "articles", DDL, MX_ES, _rows(MX_ES, range(3)))
        replace_partition(conn, "articles", DDL, FR_FR, _rows(FR_FR, range(2)))
        replace_partition(conn, "articles", DDL, MX_ES, _rows(MX_ES, range(10, 12)))  # replaces, no duplicates
        assert table_exists(conn, "articles")
        assert read_partition(conn, "articles", MX_ES)["article_id"].tolist() == ["a10", "a11"]
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (4,)
        replace_table(conn, "totals", "total BIGINT", pd.DataFrame({"total": [4]}))
    assert not list(tmp_path.rglob("*.duckdb"))  # no DuckDB file anywhere: catalog in PostgreSQL, data as Parquet


def test_a_failed_write_leaves_the_previous_snapshot(ducklake_warehouse):
    with ducklake_warehouse.get_connection() as conn:
        replace_partition(conn, "articles", DDL, MX_ES, _rows(MX_ES, range(3)))
        bad = _rows(MX_ES, range(5)).assign(article_id=None)  # NOT NULL violated after the DELETE ran
        with pytest.raises(duckdb.ConstraintException):
            replace_partition(conn, "articles", DDL, MX_ES, bad)
        assert read_partition(conn, "articles", MX_ES)["article_id"].tolist() == ["a0", "a1", "a2"]


def test_a_commit_conflict_is_retried_and_logged(ducklake_warehouse, caplog):
    """Another process's commit lands between this writer's DELETE and COMMIT: the whole transaction runs again."""
    with ducklake_warehouse.get_connection() as conn, ducklake_warehouse.get_connection() as other:
        replace_partition(conn, "articles", DDL, MX_ES, _rows(MX_ES, range(3)))
        attempts = []

        def work(c):
            attempts.append(len(attempts) + 1)
            c.execute("DELETE FROM articles WHERE country = 'MX'")
            c.register("_new", _rows(MX_ES, range(20, 25)))
            c.execute("INSERT INTO articles BY NAME SELECT * FROM _new")
            if len(attempts) == 1:  # a concurrent writer commits first
                replace_partition(other, "articles", DDL, FR_FR, _rows(FR_FR, range(2)))

        with caplog.at_level("WARNING"):
            retries = write_transaction(conn, work, "articles [MX|es]")
        assert retries == 1 and attempts == [1, 2]
        assert "warehouse commit conflict writing articles [MX|es] (attempt 1 of" in caplog.text
        counts = dict(conn.execute("SELECT country, count(*) FROM articles GROUP BY 1").fetchall())
        assert counts == {"MX": 5, "FR": 2}


def test_a_reader_attached_read_only_cannot_write_and_time_travel_reads_old_snapshots(ducklake_warehouse):
    with ducklake_warehouse.get_connection() as conn:
        replace_partition(conn, "articles", DDL, MX_ES, _rows(MX_ES, range(3)))
        (first,) = conn.execute("SELECT id FROM lake.current_snapshot()").fetchone()
        replace_partition(conn, "articles", DDL, MX_ES, _rows(MX_ES, range(7)))
    reader = Warehouse(backend="ducklake", database=ducklake_warehouse.database, catalog=ducklake_warehouse.catalog, read_only=True)
    with reader.get_connection() as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (7,)
        assert conn.execute(f"SELECT count(*) FROM articles AT (VERSION => {int(first)})").fetchone() == (3,)
        with pytest.raises(duckdb.Error, match="read-only|read only"):
            conn.execute("DELETE FROM articles")


def test_the_configured_lake_connects_with_the_catalog_from_the_environment(monkeypatch, tmp_path, postgres):
    """The definitions' resource reads the catalog through EnvVar, also when used outside a run (the demo)."""
    monkeypatch.setenv("ASKNEWS_WAREHOUSE", "ducklake")
    monkeypatch.setenv("ASKNEWS_DUCKLAKE_CATALOG", postgres.create_database("lake"))
    monkeypatch.setenv("ASKNEWS_DUCKLAKE_DATA_PATH", str(tmp_path / "lake"))
    warehouse = build_resources(Settings.from_env(deployment="local"))["warehouse"]
    with warehouse.get_connection() as conn:
        replace_table(conn, "totals", "total BIGINT", pd.DataFrame({"total": [1, 2]}))
        assert conn.execute("SELECT sum(total) FROM lake.totals").fetchone() == (3,)


def _write_one_partition(fields: dict, country: str, barrier) -> None:
    """In a process of its own: attach the lake (maybe creating its catalog) and write one partition."""
    partition = ArticlePartition(country, "es")
    barrier.wait(timeout=120)  # all processes imported and ready: attach at the same moment
    with Warehouse(**fields).get_connection() as conn:
        replace_partition(conn, "articles", DDL, partition, _rows(partition, range(4)))


def test_processes_that_find_an_empty_catalog_at_once_all_attach_and_write(tmp_path, postgres):
    """They all try to create DuckLake's tables; those that lose that race attach again and write."""
    fields = {"backend": "ducklake", "database": str(tmp_path / "lake"), "catalog": postgres.create_database("lake")}
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    processes = [
        context.Process(target=_write_one_partition, args=(fields, country, barrier)) for country in ("MX", "AR", "CO", "PE")
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [process.exitcode for process in processes] == [0] * 4
    with Warehouse(**fields).get_connection() as conn:
        assert dict(conn.execute("SELECT country, count(*) FROM articles GROUP BY 1").fetchall()) == {c: 4 for c in ("MX", "AR", "CO", "PE")}
