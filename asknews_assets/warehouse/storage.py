"""SQL plumbing under the table declarations of `warehouse.tables`: whole tables or one partition at a time.

Each write is one transaction that first deletes what the partition (or table) held, so a
re-materialisation replaces its rows: no duplicates, and a failed write leaves the old rows.
Table names and DDL are the declarations of `warehouse.tables`, never user input; partition values are
validated and passed as parameters. The SQL here runs on both warehouse backends (the DuckDB file
and DuckLake): no ARRAY columns, no PRIMARY KEY or UNIQUE constraints (DuckLake has neither).

On DuckLake, writers in other processes commit concurrently; a commit that conflicts with one of
theirs (both touched the same table) fails as a whole, and `write_transaction` runs the whole
transaction again after a randomised, growing pause, logging each retry to the run's event log.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import pandas as pd
from dagster import get_dagster_logger

from asknews_assets.partitions import ArticlePartition

COMMIT_ATTEMPTS = 12
COMMIT_BACKOFF_SECONDS = 0.05  # first pause; doubled each retry, at most COMMIT_BACKOFF_MAX_SECONDS
COMMIT_BACKOFF_MAX_SECONDS = 5.0


class CommitConflict(RuntimeError):
    """Concurrent writers kept winning for COMMIT_ATTEMPTS attempts."""


def is_commit_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.TransactionException) and "conflict" in str(error).lower()


def write_transaction(conn: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], None], what: str) -> int:
    """Run `work(conn)` in one transaction, again from the start after a commit conflict.

    Returns the number of retries (0 when the first commit went through). `what` names the write in
    the log lines that record each conflict.
    """
    log = get_dagster_logger()
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        conn.execute("BEGIN TRANSACTION")
        try:
            work(conn)
            conn.execute("COMMIT")
            return attempt - 1
        except BaseException as error:
            _rollback(conn)
            if not is_commit_conflict(error):
                raise
            if attempt == COMMIT_ATTEMPTS:
                raise CommitConflict(f"{what}: gave up after {attempt} conflicting commits") from error
            pause = min(COMMIT_BACKOFF_MAX_SECONDS, COMMIT_BACKOFF_SECONDS * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
            log.warning(f"warehouse commit conflict writing {what} (attempt {attempt} of {COMMIT_ATTEMPTS}): retrying in {pause:.2f}s")
            time.sleep(pause)
    raise AssertionError("unreachable")




def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]] | pd.DataFrame) -> None:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if frame.empty:
        return
    conn.register("_rows", frame)
    try:
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        conn.unregister("_rows")


def replace_partition(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    ddl: str,
    partition: ArticlePartition,
    rows: Sequence[dict[str, Any]] | pd.DataFrame,
) -> None:
    """Replace the rows of one country x language partition of `table` in a single transaction."""

    def work(conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")
        _add_missing_columns(conn, table, ddl)
        conn.execute(f"DELETE FROM {table} WHERE country = ? AND language = ?", [partition.country, partition.language])
        _insert(conn, table, rows)

    write_transaction(conn, work, f"{table} [{partition}]")


def _add_missing_columns(conn: duckdb.DuckDBPyConnection, table: str, ddl: str) -> None:
    """Columns the DDL has gained since `table` was created are added (NULL in the old rows), so a
    warehouse from an earlier version takes new partitions without being rebuilt."""
    have = table_columns(conn, table)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _shape ({ddl})")
    try:
        wanted = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '_shape' ORDER BY ordinal_position"
        ).fetchall()
    finally:
        conn.execute("DROP TABLE IF EXISTS _shape")
    for name, data_type in wanted:
        if name not in have:
            conn.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {data_type}')


def replace_table(
    conn: duckdb.DuckDBPyConnection, table: str, ddl: str, rows: Sequence[dict[str, Any]] | pd.DataFrame
) -> None:
    """Replace the whole of an unpartitioned table (schema included) in a single transaction."""

    def work(conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
        _insert(conn, table, rows)

    write_transaction(conn, work, table)


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """Roll back what a failed write left, keeping the write's own error the one raised.

    A failed COMMIT has already ended the transaction, and DuckDB aborts it itself on some errors (a
    full disk: "No space left on device"): a ROLLBACK then fails with "no transaction is active",
    which would hide the cause.
    """
    try:
        conn.execute("ROLLBACK")
    except duckdb.Error:
        pass


def read_partition(
    conn: duckdb.DuckDBPyConnection, table: str, partition: ArticlePartition, order_by: str = "article_id"
) -> pd.DataFrame:
    if not table_exists(conn, table):
        return pd.DataFrame()
    return conn.execute(
        f"SELECT * FROM {table} WHERE country = ? AND language = ? ORDER BY {order_by}",
        [partition.country, partition.language],
    ).df()


def replace_rows(
    conn: duckdb.DuckDBPyConnection, table: str, ddl: str, keys: dict[str, str], rows: Sequence[dict[str, Any]] | pd.DataFrame
) -> None:
    """Replace the rows of `table` matching `keys` (column -> value), keeping all others: the tables
    written this way are small registries, so the table is rewritten whole with replace_table."""
    kept = conn.execute(f"SELECT * FROM {table}").df() if table_exists(conn, table) else pd.DataFrame()
    if not kept.empty:
        match = pd.Series(True, index=kept.index)
        for column, value in keys.items():
            match &= kept[column] == value
        kept = kept[~match]
    new = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    # Empty frames left out of the concat: pandas will stop ignoring them when it infers column types.
    frames = [frame for frame in (kept, new) if not frame.empty]
    replace_table(conn, table, ddl, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def table_columns(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    found = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_name = ?",
        [table],
    ).fetchall()
    return {name for (name,) in found}


def table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    # fetchall: a half-read result would keep the connection busy for the next statement.
    # In the default catalog only: a DuckLake connection also sees its metadata catalog's tables.
    found = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_catalog = current_database()",
        [table],
    ).fetchall()
    return bool(found[0][0])
