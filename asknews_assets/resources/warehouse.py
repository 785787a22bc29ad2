"""The embedded DuckDB warehouse, safe to share between concurrent Dagster runs.

DuckDB lets one process at a time open a database file for writing. Runs are separate processes,
so every connection is taken under an exclusive advisory lock on a sibling `.lock` file: a run
waits for its turn instead of failing with DuckDB's lock error. Assets keep their connections short
(read inputs, compute outside the lock, write results in one transaction), so the wait is short too.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field


class WarehouseLockTimeout(TimeoutError):
    pass


class Warehouse(DuckDBResource):
    """DuckDB file (dagster-duckdb) with an inter-process writer lock."""

    lock_timeout_seconds: float = Field(default=600.0, description="How long a run waits for the warehouse.")

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock_file:
            deadline = time.monotonic() + self.lock_timeout_seconds
            while True:
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseLockTimeout(
                            f"waited {self.lock_timeout_seconds}s for {self.path}; raise lock_timeout_seconds"
                        ) from None
                    time.sleep(0.05)
            try:
                conn = duckdb.connect(str(self.path), config=dict(self.connection_config))
                try:
                    yield conn
                finally:
                    conn.close()
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
