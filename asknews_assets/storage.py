"""Writing asset outputs to the DuckDB warehouse: whole tables or one partition at a time.

Each write is one transaction that first deletes what the partition (or table) held, so a
re-materialisation replaces its rows: no duplicates, and a failed write leaves the old rows.
Table names and DDL are constants of this package, never user input; partition values are
validated and passed as parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from asknews_assets.partitions import ArticlePartition


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
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")
    _add_missing_columns(conn, table, ddl)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM {table} WHERE country = ? AND language = ?", [partition.country, partition.language])
        _insert(conn, table, rows)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _add_missing_columns(conn: duckdb.DuckDBPyConnection, table: str, ddl: str) -> None:
    """Columns the DDL has gained since `table` was created are added (NULL in the old rows), so a
    warehouse from an earlier version takes new partitions without being rebuilt."""
    have = {name for (name,) in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()}  # fmt: skip
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
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
        _insert(conn, table, rows)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """Roll back what a failed write left, keeping the write's own error the one raised.

    DuckDB aborts the transaction itself on some errors (a full disk: "No space left on device"),
    and a ROLLBACK then fails with "no transaction is active", which would hide the cause.
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


def table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    # fetchall: a half-read result would keep the connection busy for the next statement.
    found = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()
    return bool(found[0][0])
