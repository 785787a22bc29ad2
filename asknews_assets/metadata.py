"""Small helpers that turn results into Dagster metadata people can read in the UI."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from dagster import MetadataValue, TableColumn, TableColumnConstraints, TableRecord, TableSchema


# Who answers for the assets (shown on every asset in the UI; Dagster takes emails or team:<name>).
OWNERS = ["team:news-data"]

from asknews_assets.publication.markup import Markup, escape_markdown


def _cell(value: Any, width: int) -> str:
    """One table cell: on one line, cut to `width`, then escaped (titles and labels come from sources
    and models, and must show as text, never as markup)."""
    if isinstance(value, Markup):  # written by the code, not taken from a source
        return " ".join(value.split()).replace("|", "\\|")
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = " ".join(text.split())
    text = text if len(text) <= width else text[: width - 1] + "…"
    return escape_markdown(text).replace("|", "\\|")


def markdown_table(rows: pd.DataFrame | Sequence[Mapping[str, Any]], max_rows: int = 10, width: int = 80) -> str:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if frame.empty:
        return "_(no rows)_"
    columns = list(frame.columns)
    lines = ["| " + " | ".join(_cell(c, 200) for c in columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.head(max_rows).iterrows():
        lines.append("| " + " | ".join(_cell(row[c], width) for c in columns) + " |")
    if len(frame) > max_rows:
        lines.append(f"\n_{len(frame) - max_rows} more rows_")
    return "\n".join(lines)


def md(rows: pd.DataFrame | Sequence[Mapping[str, Any]], max_rows: int = 10, width: int = 80) -> MetadataValue:
    return MetadataValue.md(markdown_table(rows, max_rows, width))


def counts_md(counts: Mapping[str, int] | Iterable[tuple[str, int]], key: str = "value", value: str = "count") -> MetadataValue:
    items = counts.items() if isinstance(counts, Mapping) else counts
    return md([{key: k, value: v} for k, v in items], max_rows=100)


def _ddl_columns(ddl: str) -> list[str]:
    """Top-level comma-separated column definitions of a DDL body (commas inside brackets kept)."""
    parts, depth, current = [], 0, ""
    for char in ddl:
        depth += char in "(["
        depth -= char in ")]"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [part.strip() for part in [*parts, current] if part.strip()]


def column_schema(ddl: str) -> TableSchema:
    """The `dagster/column_schema` of a warehouse table, from the DDL body that creates it."""
    columns = []
    for definition in _ddl_columns(ddl):
        name, _, rest = definition.partition(" ")
        not_null = rest.upper().endswith("NOT NULL")
        column_type = rest[: -len("NOT NULL")].strip() if not_null else rest.strip()
        columns.append(TableColumn(name, column_type, constraints=TableColumnConstraints(nullable=not not_null)))
    return TableSchema(columns=columns)


def _plain(value: Any, width: int) -> str | int | float | bool | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value, 4) if isinstance(value, float) else int(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _plain(value.item(), width)
    return _cell(value, width)


def table_preview(rows: pd.DataFrame | Sequence[Mapping[str, Any]], max_rows: int = 10, width: int = 120) -> MetadataValue:
    """First rows as a table the UI renders with its columns (TableMetadataValue), texts shortened."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    head = frame.head(max_rows)
    records = [TableRecord({c: _plain(row[c], width) for c in head.columns}) for _, row in head.iterrows()]
    kinds = {c: "number" if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) else "string"
             for c in frame.columns}  # fmt: skip
    schema = TableSchema(columns=[TableColumn(str(c), kinds[c]) for c in frame.columns])
    return MetadataValue.table(records=records, schema=schema)


def png(figure: Any) -> MetadataValue:
    """A matplotlib figure as an inline image (markdown with a data URI), closed afterwards."""
    import base64

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return MetadataValue.md(f"![plot](data:image/png;base64,{encoded})")


def largest_title(what: str, shown: int, total: int) -> str:
    """A plot title that says how many bars of how many it shows."""
    return what if shown >= total else f"{what} (largest {shown} of {total})"


def bar_plot(counts: Mapping[str, float], title: str, xlabel: str = "", ylabel: str = "count") -> MetadataValue:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(max(4.0, 0.35 * len(counts) + 2), 3))
    axis.bar([str(k) for k in counts], list(counts.values()), color="#4c72b0")
    axis.set_title(title)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.tick_params(axis="x", rotation=60, labelsize=8)
    return png(figure)
