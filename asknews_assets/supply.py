"""How far the accepted articles of every partition got: stage coverage, missing and stale stages.

Per-partition stages run separately (a backfill may ingest partitions that are never enriched), so
the dataset-wide stages must not assume their inputs are complete. `stage_coverage` counts, per
country x language partition, how many accepted articles reached each stage or were recorded as
failed there, and names each gap: a stage never materialised for the partition (missing), one
materialised before the partition was last ingested or before the stage it reads (stale), or
articles neither passed on nor recorded as failed (lost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd
from dagster import DagsterEventType

from asknews_assets.metadata import md
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.tables import Table


class Stage(NamedTuple):
    name: str  # the stage's column: articles that reached it
    reached: Table  # the table of those articles; its asset is the stage's asset
    failed: Table | None = None  # the table of the articles that failed there
    failed_column: str = ""


STAGES: tuple[Stage, ...] = (
    Stage("translated", tables.TRANSLATED_ARTICLES, tables.TRANSLATION_FAILURES, "translation_failed"),
    Stage("summarised", tables.ARTICLE_SUMMARIES, tables.ARTICLE_SUMMARY_FAILURES, "summary_failed"),
    Stage("embedded", tables.ARTICLE_EMBEDDINGS),
)
RAW_ASSET = tables.RAW_INGEST_STATS.asset
COUNT_COLUMNS = ("read", "accepted", "rejected", "translated", "translation_failed", "summarised", "summary_failed", "embedded")
COMPLETE = "complete"
# What stage coverage reads; none is required (a stage never materialised is a gap, not an error).
COVERAGE_INPUTS = tables.Inputs(
    optional=(tables.RAW_INGEST_STATS, *(t for stage in STAGES for t in (stage.reached, stage.failed) if t is not None))
)


def _counts(conn, table: Table | None, column: str) -> pd.DataFrame:
    if table is None or not table.exists(conn):
        return pd.DataFrame(columns=["country", "language", column])
    return conn.execute(f"SELECT country, language, count(*) AS {column} FROM {table} GROUP BY ALL").df()


def stage_counts(conn) -> pd.DataFrame:
    """Per ingested partition: read, accepted, rejected, and the articles each stage holds or failed."""
    if not tables.RAW_INGEST_STATS.exists(conn):
        return pd.DataFrame(columns=["country", "language", *COUNT_COLUMNS])
    frame = conn.execute(f"SELECT country, language, read, accepted, rejected FROM {tables.RAW_INGEST_STATS}").df()
    for stage in STAGES:
        frame = frame.merge(_counts(conn, stage.reached, stage.name), on=["country", "language"], how="left")
        if stage.failed_column:
            frame = frame.merge(_counts(conn, stage.failed, stage.failed_column), on=["country", "language"], how="left")
    for column in COUNT_COLUMNS:
        frame[column] = frame[column].fillna(0).astype(int)
    return frame.sort_values(["language", "country"]).reset_index(drop=True)


def partition_gaps(
    row: Mapping[str, Any], materialized: Mapping[str, Mapping[str, int]] | None
) -> list[str]:
    """The gaps of one partition's row of `stage_counts`.

    `materialized` maps an asset name to {partition key: storage id of its latest materialisation}
    (ids grow with time); None when no Dagster instance is at hand (then only counts are compared).
    """
    key = f"{row['language']}-{row['country']}"  # the partition key (language-COUNTRY)
    gaps: list[str] = []
    inflow, previous = row["accepted"], RAW_ASSET
    for stage in STAGES:
        asset = stage.reached.asset
        reached, failed = row[stage.name], row.get(stage.failed_column, 0) or 0
        if materialized is not None:
            stage_id, before_id = materialized.get(asset, {}).get(key), materialized.get(previous, {}).get(key)
            if stage_id is None:
                gaps.append(f"{stage.name}: missing")
                break  # later stages read this one: their gaps follow from it
            if before_id is not None and stage_id < before_id:
                gaps.append(f"{stage.name}: stale ({previous} is newer)")
        if reached + failed != inflow:
            gaps.append(f"{stage.name}: {inflow - reached - failed:+d} articles unaccounted (of {inflow})")
        inflow, previous = reached, asset
    return gaps


def stage_coverage(conn, materialized: Mapping[str, Mapping[str, int]] | None = None) -> pd.DataFrame:
    """`stage_counts` with each partition's `status`: 'complete' or its gaps, '; '-separated."""
    frame = stage_counts(conn)
    frame["status"] = [("; ".join(gaps) or COMPLETE) for gaps in (partition_gaps(row, materialized) for row in frame.to_dict("records"))]
    return frame


def coverage_totals(coverage: pd.DataFrame) -> dict[str, int]:
    """Totals over every partition, and how many partitions have gaps."""
    totals = {column: int(coverage[column].sum()) for column in COUNT_COLUMNS}
    totals["partitions"] = len(coverage)
    totals["partitions_with_gaps"] = int((coverage["status"] != COMPLETE).sum()) if len(coverage) else 0
    return totals


def materialized_partitions(instance) -> dict[str, dict[str, int]]:
    """{asset: {partition key: storage id of its latest materialisation}} for the per-partition stages."""
    return {
        table.asset: dict(instance.get_latest_storage_id_by_partition(table.key, DagsterEventType.ASSET_MATERIALIZATION))
        for table in (tables.RAW_INGEST_STATS, *(stage.reached for stage in STAGES))
    }


def supply_by_language(coverage: pd.DataFrame, unroutable: pd.DataFrame | None = None) -> dict[str, dict[str, int]]:
    """What the source supplied per language: read, accepted, rejected, unroutable, untranslated,
    and how many reached the embeddings the dataset is drawn from. Unroutable records are counted
    under the language folder they were filed in (which may be one the platform does not have)."""
    supply: dict[str, dict[str, int]] = {}
    for language, group in coverage.groupby("language"):
        supply[str(language)] = {
            "read": int(group["read"].sum()),
            "accepted": int(group["accepted"].sum()),
            "rejected": int(group["rejected"].sum()),
            "unroutable": 0,
            "untranslated": int((group["accepted"] - group["translated"]).sum()),
            "embedded": int(group["embedded"].sum()),
        }
    if unroutable is not None:
        for language, records in unroutable.groupby("language")["records"].sum().items():
            entry = supply.setdefault(
                str(language), {"read": 0, "accepted": 0, "rejected": 0, "unroutable": 0, "untranslated": 0, "embedded": 0}
            )
            entry["unroutable"] += int(records)
            entry["read"] += int(records)
    return dict(sorted(supply.items()))


def coverage_metadata(coverage: pd.DataFrame) -> dict[str, Any]:
    """What every dataset-wide asset records about its input: totals per stage, partitions with gaps,
    and the per-partition table (partitions with gaps first)."""
    totals = coverage_totals(coverage)
    ordered = coverage.assign(_complete=coverage["status"] == COMPLETE).sort_values(["_complete", "language", "country"])
    return {
        "coverage_total": md([totals]),
        "partitions_with_gaps": totals["partitions_with_gaps"],
        "coverage_by_partition": md(ordered.drop(columns="_complete"), max_rows=200, width=100),
    }


UNROUTABLE_COLUMNS = ("location", "language", "reason", "records")


@dataclass(frozen=True)
class SupplyReport:
    """What article_supply writes and reports beside the coverage itself."""

    unroutable: list[dict[str, Any]]  # source_unroutable: one row per file no partition reads
    figures: dict[str, int]  # the source as a whole (read = accepted + rejected + unroutable) and each stage's total
    partitions: int
    partitions_with_gaps: int
    by_language: list[dict[str, Any]]  # supply_by_language, one row per language


def supply_report(coverage: pd.DataFrame, unroutable: Sequence[Any]) -> SupplyReport:
    """The supply of a build from its stage `coverage` and the source's `unroutable` parts (each with
    location, language, reason and records)."""
    rows = [{column: getattr(part, column) for column in UNROUTABLE_COLUMNS} for part in unroutable]
    totals = coverage_totals(coverage)
    records = sum(row["records"] for row in rows)
    figures = {
        "read": totals["read"] + records,
        "accepted": totals["accepted"],
        "rejected": totals["rejected"],
        "unroutable": records,
        "unroutable_files": len(rows),
        **{column: totals[column] for column in COUNT_COLUMNS[3:]},  # what each stage holds or failed
    }
    by_language = supply_by_language(coverage, pd.DataFrame(rows, columns=list(UNROUTABLE_COLUMNS)))
    return SupplyReport(
        unroutable=rows,
        figures=figures,
        partitions=totals["partitions"],
        partitions_with_gaps=totals["partitions_with_gaps"],
        by_language=[{"language": language, **counts} for language, counts in by_language.items()],
    )
