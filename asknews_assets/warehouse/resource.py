"""The warehouse: one interface, two backends chosen by configuration (ASKNEWS_WAREHOUSE).

`duckdb` (the default) is one embedded DuckDB file. DuckDB lets one process at a time open a file
for writing, and runs are separate processes, so every connection is taken under an exclusive
advisory lock on a sibling `.lock` file: a run waits for its turn instead of failing with DuckDB's
lock error. Assets keep their connections short (read inputs, compute outside the lock, write
results in one transaction), so the wait is short too.

`ducklake` is DuckDB's lakehouse format: the catalog lives in PostgreSQL, table data is Parquet
files under a data path (a folder every writer mounts, or an s3:// prefix). Any number of
processes on any number of hosts write at once under snapshot isolation, so there is no lock; a
commit that conflicts with a concurrent one is retried by `storage.write_transaction`. Each
connection is a cursor of an in-memory DuckDB (one per process) with the lake attached, and the lake
is its default catalog, so every query of the project runs unchanged on either backend.

DuckLake needs DuckDB extensions. They come from the registry packages pinned with DuckDB
(duckdb-extension-ducklake, -postgres, -httpfs) and are loaded from the installed packages with
DuckDB's automatic install and load turned off: nothing is ever downloaded at run time.
"""

from __future__ import annotations

import errno
import fcntl
import importlib.util
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import EnvVar
from dagster_duckdb import DuckDBResource
from pydantic import Field

BACKENDS = ("duckdb", "ducklake")
LAKE = "lake"  # the attached catalog's name in every ducklake connection


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


class WarehouseUnavailable(RuntimeError):
    """The configured backend cannot be reached or set up; the message names what to set or install."""


class Warehouse(DuckDBResource):
    """The warehouse behind `get_connection()`: a DuckDB file, or a DuckLake attached as the default catalog."""

    backend: str = Field(default="duckdb", description="'duckdb' (one embedded file) or 'ducklake'.")
    catalog: str = Field(
        default="",
        description="ducklake: the PostgreSQL catalog as a libpq connection string ('dbname=... host=... user=...')."
        " It may hold a password: pass it as EnvVar('ASKNEWS_DUCKLAKE_CATALOG'), or leave the password to PGPASSWORD.",
    )
    read_only: bool = Field(default=False, description="Attach for reading only (analysts, readers beside writers).")
    lock_timeout_seconds: float = Field(default=600.0, description="duckdb: how long a run waits for the file.")
    min_free_mb: float = Field(
        default=64.0, description="duckdb: refuse to open the file with less free disk than this (it would fail mid-write)."
    )
    # `database` (from DuckDBResource) is the file for 'duckdb' and the data path for 'ducklake':
    # either way where the tables' bytes live, and never a secret, so assets show it in metadata.

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.backend == "ducklake":
            with self._ducklake_connection() as conn:
                yield conn
        elif self.backend == "duckdb":
            with self._file_connection() as conn:
                yield conn
        else:
            raise WarehouseUnavailable(f"unknown warehouse backend {self.backend!r}: set ASKNEWS_WAREHOUSE to one of {BACKENDS}")

    @contextmanager
    def _file_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
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
                conn = duckdb.connect(str(self.path), read_only=self.read_only, config=dict(self.connection_config))
                try:
                    yield conn
                finally:
                    conn.close()
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    @contextmanager
    def _ducklake_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # Dagster resolves an EnvVar field when it builds the resource for a run; code that uses the
        # definitions' resource directly (the demo's summary) still holds the EnvVar itself.
        catalog = (self.catalog.get_value() or "") if isinstance(self.catalog, EnvVar) else self.catalog
        if not catalog.strip():
            raise WarehouseUnavailable(
                "ASKNEWS_WAREHOUSE=ducklake needs its catalog: set ASKNEWS_DUCKLAKE_CATALOG to a PostgreSQL"
                " connection string, e.g. 'dbname=asknews_lake host=db.internal user=asknews'"
            )
        data_path = str(self.database)
        if not data_path.startswith("s3://"):
            Path(data_path).mkdir(parents=True, exist_ok=True)
        key = (os.getpid(), catalog, data_path, self.read_only, tuple(sorted(self.connection_config.items())))
        with _LAKES_LOCK:
            if key not in _LAKES:
                _LAKES[key] = _attach_lake(catalog, data_path, self.read_only, dict(self.connection_config))
            conn = _LAKES[key].cursor()
        try:
            conn.execute(f"USE {LAKE}")
            yield conn
        except (duckdb.IOException, duckdb.ConnectionException, duckdb.FatalException, duckdb.InternalException):
            with _LAKES_LOCK:  # the catalog connection may be lost (a PostgreSQL restart): attach afresh next time
                _LAKES.pop(key, None)
            raise
        finally:
            conn.close()


# One attached lake per process and configuration, each connection a cursor of it: loading the
# extensions (DuckDB verifies their signatures, ~80 MB) and attaching the catalog cost 0.2-1 s, paid
# once per process instead of per connection. Every transaction still starts from the catalog's
# latest snapshot, so other processes' commits are seen as with a fresh attach.
_LAKES: dict[tuple, duckdb.DuckDBPyConnection] = {}
_LAKES_LOCK = threading.Lock()
ATTACH_ATTEMPTS = 5


def _attach_lake(catalog: str, data_path: str, read_only: bool, config: dict) -> duckdb.DuckDBPyConnection:
    for attempt in range(1, ATTACH_ATTEMPTS + 1):
        conn = connect_offline(config)
        try:
            load_extensions(conn, ["postgres_scanner", "ducklake"] + (["httpfs"] if data_path.startswith("s3://") else []))
            if data_path.startswith("s3://"):
                _create_s3_secret_from_environment(conn)
            options = f"DATA_PATH {_sql_string(data_path)}" + (", READ_ONLY" if read_only else "")
            conn.execute(f"ATTACH {_sql_string('ducklake:postgres:' + catalog)} AS {LAKE} ({options})")
            return conn
        except duckdb.Error as error:
            conn.close()
            # Processes that find an empty catalog at the same moment all create DuckLake's tables;
            # all but one fail, and find the tables made when they try again.
            if "Failed to initialize DuckLake" in str(error) and attempt < ATTACH_ATTEMPTS:
                time.sleep(0.2 * attempt)
                continue
            # DuckDB's message quotes the whole connection string, password included.
            raise WarehouseUnavailable(
                f"could not attach the DuckLake catalog (ASKNEWS_DUCKLAKE_CATALOG): {redact(str(error), catalog)}"
            ) from None
        except BaseException:
            conn.close()
            raise
    raise AssertionError("unreachable")


def connect_offline(config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never installs or loads an extension on its own."""
    return duckdb.connect(
        ":memory:", config={**(config or {}), "autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )


# DuckDB's extension name -> (registry package, file name inside the package).
EXTENSION_PACKAGES = {
    "ducklake": ("duckdb-extension-ducklake", "ducklake.duckdb_extension"),
    "postgres_scanner": ("duckdb-extension-postgres", "postgres.duckdb_extension"),
    "httpfs": ("duckdb-extension-httpfs", "httpfs.duckdb_extension"),
}


def load_extensions(conn: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """LOAD `names` from the installed registry packages, through an extension folder of DuckDB's layout.

    The packages ship `<pkg>/extensions/v<version>/<file>`; DuckDB looks for
    `<dir>/v<version>/<platform>/<name>.duckdb_extension` and derives the entry point from the file
    name (the postgres file must be called postgres_scanner), so the folder holds links named its way.
    """
    version = f"v{duckdb.__version__}"
    platform = conn.execute("SELECT platform FROM pragma_platform()").fetchone()[0]
    root = Path(tempfile.gettempdir()) / f"asknews-duckdb-extensions-{os.getuid()}"
    folder = root / version / platform
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        package, filename = EXTENSION_PACKAGES[name]
        module = package.replace("-", "_")
        spec = importlib.util.find_spec(module)
        shipped = Path(spec.submodule_search_locations[0]) / "extensions" / version / filename if spec else None
        if shipped is None or not shipped.exists():
            raise WarehouseUnavailable(
                f"DuckDB extension {name} for DuckDB {duckdb.__version__} is not installed:"
                f" pip install {package}=={duckdb.__version__} (or set ASKNEWS_WAREHOUSE=duckdb)"
            )
        link = folder / f"{name}.duckdb_extension"
        if not (link.is_symlink() and link.resolve() == shipped.resolve()):
            # Concurrent processes may build the folder at once: replace the link atomically.
            staging = folder / f".{name}.{os.getpid()}"
            staging.unlink(missing_ok=True)
            staging.symlink_to(shipped)
            os.replace(staging, link)
    conn.execute(f"SET extension_directory = {_sql_string(str(root))}")
    for name in names:
        conn.execute(f"LOAD {name}")


def _create_s3_secret_from_environment(conn: duckdb.DuckDBPyConnection) -> None:
    """Object storage credentials from the standard AWS variables, as a secret of this connection only."""
    fields = {
        "KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID"),
        "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "SESSION_TOKEN": os.environ.get("AWS_SESSION_TOKEN"),
        "REGION": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        "ENDPOINT": os.environ.get("AWS_ENDPOINT_URL_S3", "").split("://", 1)[-1] or None,
        "URL_STYLE": os.environ.get("ASKNEWS_S3_URL_STYLE"),
    }
    options = ", ".join(f"{key} {_sql_string(value)}" for key, value in fields.items() if value)
    conn.execute(f"CREATE TEMPORARY SECRET asknews_s3 (TYPE s3{', ' + options if options else ''})")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def redact(message: str, dsn: str = "") -> str:
    """`message` without the password of `dsn` (or of any libpq string or URL quoted in it)."""
    message = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", message, flags=re.IGNORECASE)
    message = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", message)
    for match in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s'\"]+)", dsn, flags=re.IGNORECASE):
        secret = match.group(1).strip("'")
        if secret:
            message = message.replace(secret, "***")
    return message
