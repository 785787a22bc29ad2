"""The embedded DuckDB warehouse, safe to share between concurrent Dagster runs.

DuckDB lets one process at a time open a database file for writing. Runs are separate processes,
so every connection is taken under an exclusive advisory lock on a sibling `.lock` file: a run
waits for its turn instead of failing with DuckDB's lock error. Assets keep their connections short
(read inputs, compute outside the lock, write results in one transaction), so the wait is short too.
"""

from __future__ import annotations

import errno
import fcntl
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field


class WarehouseLockTimeout(TimeoutError):
    pass


class WarehouseDiskFull(OSError):
    """The warehouse's disk is full: said first, not hidden behind what fails next."""

    def __init__(self, path: Path, cause: str) -> None:
        free = shutil.disk_usage(path.parent).free if path.parent.exists() else 0
        super().__init__(
            errno.ENOSPC,
            f"No space left on device for the warehouse {path} ({free / 2**20:.1f} MiB free; {cause}): free space"
            " there, or point ASKNEWS_DUCKDB_PATH (or ASKNEWS_DATA_DIR) at a disk with room",
        )


def is_disk_full(error: BaseException) -> bool:
    """An error caused by a full disk, whether raised by the OS or reported by DuckDB or SQLite in words."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    text = str(error)
    return "No space left on device" in text or "database or disk is full" in text


class Warehouse(DuckDBResource):
    """DuckDB file (dagster-duckdb) with an inter-process writer lock."""

    lock_timeout_seconds: float = Field(default=600.0, description="How long a run waits for the warehouse.")
    min_free_mb: float = Field(
        default=64.0, description="Refuse to open the warehouse with less free disk than this (it would fail mid-write)."
    )

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection under the writer lock. A full disk is reported as `WarehouseDiskFull`, before
        anything is written where the free space is already below `min_free_mb`."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(self.path.parent).free
        except OSError as error:
            if is_disk_full(error):
                raise WarehouseDiskFull(self.path, str(error)) from error
            raise
        if free < self.min_free_mb * 2**20:
            raise WarehouseDiskFull(self.path, f"below min_free_mb={self.min_free_mb:g}")
        try:
            with self._locked_connection() as conn:
                yield conn
        except WarehouseDiskFull:
            raise
        except Exception as error:
            if is_disk_full(error):
                raise WarehouseDiskFull(self.path, str(error).splitlines()[0][:300]) from error
            raise

    @contextmanager
    def _locked_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
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
