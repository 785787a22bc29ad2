"""The dataset build's gate: no partition missing, stale or losing articles in a stage, unless a
partial build is explicitly accepted (then the gaps are a warning, still listed)."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from asknews_assets.metadata import md
from asknews_assets.releases import latest_materialization
from asknews_assets.supply import COMPLETE
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse


@asset_check(
    asset=tables.STAGE_COVERAGE.key,
    blocking=True,
    description="every ingested partition reached every stage, none stale, every accepted article passed on or"
    " recorded as failed (a WARN instead when the partial build is accepted: ASKNEWS_ACCEPT_PARTIAL_BUILD)",
)
def article_supply_complete(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    latest = latest_materialization(context.instance, tables.STAGE_COVERAGE.key)
    accepted_partial = bool(latest.metadata.get("partial_build_accepted", False)) if latest else False
    with warehouse.get_connection() as conn:
        if not tables.STAGE_COVERAGE.exists(conn):
            return AssetCheckResult(
                passed=False, metadata={"error": f"{tables.STAGE_COVERAGE} does not exist: materialise {tables.STAGE_COVERAGE.asset}"}
            )
        coverage = tables.STAGE_COVERAGE.read(conn, order_by="language, country")
        unroutable = len(tables.SOURCE_UNROUTABLE.read(conn))
    gaps = coverage[coverage["status"] != COMPLETE]
    if coverage.empty:
        problem = "no partition has been ingested" + (
            f": the source's {unroutable} files are all outside the platform's languages or layout ({tables.SOURCE_UNROUTABLE})"
            if unroutable
            else ""
        )
    elif gaps.empty:
        problem = ""
    else:
        problem = f"{len(gaps)} of {len(coverage)} partitions have gaps"
    return AssetCheckResult(
        passed=not problem,
        # A WARN does not block: that is what accepting a partial build means.
        severity=AssetCheckSeverity.WARN if accepted_partial and not coverage.empty else AssetCheckSeverity.ERROR,
        description=problem or None,
        metadata={
            "partitions": len(coverage),
            "partitions_with_gaps": len(gaps),
            "accepted_articles": int(coverage["accepted"].sum()) if len(coverage) else 0,
            "embedded_articles": int(coverage["embedded"].sum()) if len(coverage) else 0,
            "partial_build_accepted": accepted_partial,
            "gaps": md(gaps[["country", "language", "accepted", "embedded", "status"]], max_rows=100, width=120),
            "how_to_accept": "materialise the missing partitions, or set ASKNEWS_ACCEPT_PARTIAL_BUILD=1 (or the run config"
            " ops.article_supply.config.accept_partial_build: true) to build from what is there",
        },
    )
