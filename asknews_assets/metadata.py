"""Small helpers that turn results into Dagster metadata people can read in the UI."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from dagster import MetadataValue

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


def png(figure: Any) -> MetadataValue:
    """A matplotlib figure as an inline image (markdown with a data URI), closed afterwards."""
    import base64

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return MetadataValue.md(f"![plot](data:image/png;base64,{encoded})")


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
