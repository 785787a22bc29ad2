"""Data-quality asset checks, one module per stage."""

from __future__ import annotations

from collections.abc import Callable

from dagster import AssetCheckResult, AssetCheckSeverity, FloatMetadataValue, IntMetadataValue, TextMetadataValue

from asknews_assets.metadata import table_preview
from asknews_assets.partitions import ArticlePartition, partitions_of
from asknews_assets.warehouse.tables import Inputs


SCALARS = (IntMetadataValue, FloatMetadataValue, TextMetadataValue)


def check_each_partition(
    context, warehouse, check: Callable[[object, ArticlePartition], AssetCheckResult]
) -> AssetCheckResult:
    """Run a per-partition check on every partition of the run (several in a batched backfill run).

    One partition: its own result. Several: passed when all passed, with a row per partition.
    """
    results = {str(p): check(warehouse, p) for p in partitions_of(context)}
    if len(results) == 1:
        return next(iter(results.values()))
    failed = [key for key, result in results.items() if not result.passed]
    severities = {results[key].severity for key in failed}
    rows = [
        {"partition": key, "passed": result.passed,
         **{k: v.value for k, v in result.metadata.items() if isinstance(v, SCALARS) and k != "partition"}}
        for key, result in results.items()
    ]  # fmt: skip
    return AssetCheckResult(
        passed=not failed,
        severity=AssetCheckSeverity.ERROR if AssetCheckSeverity.ERROR in severities or not severities else AssetCheckSeverity.WARN,
        metadata={"partitions_checked": len(results), "failed_partitions": ", ".join(failed) or "none",
                  "by_partition": table_preview(rows, max_rows=len(rows))},  # fmt: skip
    )


def missing_tables(conn, inputs: Inputs) -> AssetCheckResult | None:
    """A failed result naming the input tables (`tables.Inputs`) not written yet, or None when all
    exist: a check reports a missing table rather than failing its step."""
    missing = [table.name for table in inputs.tables if not table.exists(conn)]
    return AssetCheckResult(passed=False, metadata={"error": f"missing tables: {', '.join(missing)}"}) if missing else None
