"""Shared fixtures: temporary warehouses, data folders, Dagster instances and PostgreSQL servers. Everything
offline. Helpers that tests and benchmarks share live in asknews_assets_tests.support."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, instance_for_test

# Tests never reach the Hub: fail fast instead of waiting on timeouts for an unreachable host.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from asknews_assets import settings  # noqa: E402
from asknews_assets.warehouse.resource import Warehouse  # noqa: E402
from asknews_assets_tests.support.processes.postgres_server import (  # noqa: E402
    PostgresServer,
    postgres_bin_dir,
    postgres_server,
)


@pytest.fixture(autouse=True)
def settings_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings are read once per process; a test that changes the environment through `monkeypatch`
    gets them read again, and the next test reads its own (its environment restored)."""
    for name in ("setenv", "delenv"):
        change = getattr(monkeypatch, name)

        def change_and_forget(*args, _change=change, **kwargs):
            _change(*args, **kwargs)
            settings.clear()

        setattr(monkeypatch, name, change_and_forget)
    yield
    settings.clear()


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(database=str(tmp_path / "warehouse" / "test.duckdb"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ASKNEWS_DATA_DIR (exports, models, caches) under the test's own folder."""
    monkeypatch.setenv("ASKNEWS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    """A real PostgreSQL server of the distribution; CI sets ASKNEWS_REQUIRE_POSTGRES=1 so it never skips there."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        missing = "PostgreSQL server binaries (initdb, postgres) not found: apt-get install postgresql"
        if os.environ.get("ASKNEWS_REQUIRE_POSTGRES") == "1":  # CI installs them: a skip there would hide a gap
            pytest.fail(missing + " (ASKNEWS_REQUIRE_POSTGRES=1)")
        pytest.skip(missing)
    with postgres_server(tmp_path / "postgres", bin_dir) as server:
        yield server


@pytest.fixture
def ducklake_warehouse(tmp_path: Path, postgres: PostgresServer) -> Warehouse:
    """A DuckLake warehouse: catalog in a database of the test's PostgreSQL, Parquet files under tmp_path."""
    return Warehouse(backend="ducklake", database=str(tmp_path / "lake"), catalog=postgres.create_database("lake"))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """A real Dagster instance with SQLite storage in a temporary DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as temporary:
        yield temporary
