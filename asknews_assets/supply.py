"""How far the accepted articles of every partition got: stage coverage, missing and stale stages.

Per-partition stages run separately (a backfill may ingest partitions that are never enriched), so
the dataset-wide stages must not assume their inputs are complete. `stage_coverage` counts, per
country x language partition, how many accepted articles reached each stage or were recorded as
failed there, and names each gap: a stage never materialised for the partition (missing), one
materialised before the partition was last ingested or before the stage it reads (stale), or
articles neither passed on nor recorded as failed (lost).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from dagster import AssetKey, DagsterEventType

from asknews_assets.metadata import md
from asknews_assets.warehouse.storage import table_exists

# (stage, its asset, the table of articles that reached it, the table of those that failed there)
STAGES: tuple[tuple[str, str, str, str | None], ...] = (
    ("translated", "translated_articles", "translated_articles", "translation_failures"),
    ("summarised", "article_summaries", "article_summaries", "article_summary_failures"),
    ("embedded", "article_embeddings", "article_embeddings", None),
)
RAW_ASSET = "raw_articles"
COUNT_COLUMNS = ("read", "accepted", "rejected", "translated", "translation_failed", "summarised", "summary_failed", "embedded")
COMPLETE = "complete"


def _counts(conn, table: str | None, column: str) -> pd.DataFrame:
    if table is None or not table_exists(conn, table):
        return pd.DataFrame(columns=["country", "language", column])
    return conn.execute(f"SELECT country, language, count(*) AS {column} FROM {table} GROUP BY ALL").df()


def stage_counts(conn) -> pd.DataFrame:
    """Per ingested partition: read, accepted, rejected, and the articles each stage holds or failed."""
    if not table_exists(conn, "raw_ingest_stats"):
        return pd.DataFrame(columns=["country", "language", *COUNT_COLUMNS])
    frame = conn.execute("SELECT country, language, read, accepted, rejected FROM raw_ingest_stats").df()
    failures = {"translated": "translation_failed", "summarised": "summary_failed"}
    for stage, _, table, failure_table in STAGES:
        frame = frame.merge(_counts(conn, table, stage), on=["country", "language"], how="left")
        if stage in failures:
            frame = frame.merge(_counts(conn, failure_table, failures[stage]), on=["country", "language"], how="left")
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
    failed_column = {"translated": "translation_failed", "summarised": "summary_failed"}
    for stage, asset, _, _ in STAGES:
        reached, failed = row[stage], row.get(failed_column.get(stage, ""), 0) or 0
        if materialized is not None:
            stage_id, before_id = materialized.get(asset, {}).get(key), materialized.get(previous, {}).get(key)
            if stage_id is None:
                gaps.append(f"{stage}: missing")
                break  # later stages read this one: their gaps follow from it
            if before_id is not None and stage_id < before_id:
                gaps.append(f"{stage}: stale ({previous} is newer)")
        if reached + failed != inflow:
            gaps.append(f"{stage}: {inflow - reached - failed:+d} articles unaccounted (of {inflow})")
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
        asset: dict(instance.get_latest_storage_id_by_partition(AssetKey(asset), DagsterEventType.ASSET_MATERIALIZATION))
        for asset in (RAW_ASSET, *(asset for _, asset, _, _ in STAGES))
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
