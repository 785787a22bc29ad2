"""The supply of the dataset build: what the source holds, and how far each partition's articles got.

`article_supply` is the first dataset-wide asset: it accounts for the source as a whole (read =
accepted + rejected + unroutable), counts per partition how many accepted articles reached each
per-partition stage, and names the partitions that are missing or stale in a stage. Its blocking
check stops the dataset build on such gaps unless a partial build is explicitly accepted.
"""

from typing import Optional

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets import settings
from asknews_assets.metadata import md
from asknews_assets.resources.ingest import NewsSource
from asknews_assets.supply import COVERAGE_INPUTS, coverage_metadata, materialized_partitions, stage_coverage, supply_report
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse


class ArticleSupplyConfig(Config):
    accept_partial_build: Optional[bool] = Field(
        default=None,
        description="Let the dataset build go on although partitions are missing or stale in a stage (the gaps are"
        " still recorded); unset: ASKNEWS_ACCEPT_PARTIAL_BUILD (default no).",
    )


@asset(
    deps=COVERAGE_INPUTS.deps,
    group_name="supply",
    kinds={"duckdb", "python"},
    tags={"stage": "supply"},
)
def article_supply(
    context: AssetExecutionContext, config: ArticleSupplyConfig, source: NewsSource, warehouse: Warehouse
) -> MaterializeResult:
    """What the source supplied and how far it got: `source_unroutable` (files no partition reads, with
    the reason and their record count) and `stage_coverage` (per partition: read, accepted, rejected,
    translated, summarised, embedded, failures, and 'complete' or the partition's gaps)."""
    unroutable = source.unroutable()
    accept_partial = settings.current().accept_partial_build if config.accept_partial_build is None else config.accept_partial_build
    with warehouse.get_connection() as conn:
        coverage = stage_coverage(conn, materialized_partitions(context.instance))
        report = supply_report(coverage, unroutable)
        tables.SOURCE_UNROUTABLE.replace(conn, report.unroutable)
        tables.STAGE_COVERAGE.replace(conn, coverage)

    if report.partitions_with_gaps:
        context.log.warning(
            f"{report.partitions_with_gaps} of {report.partitions} partitions have gaps in a stage"
            + (" (partial build accepted)" if accept_partial else "")
        )
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(coverage),
            **report.figures,
            "partial_build_accepted": accept_partial,
            **coverage_metadata(coverage),
            "unroutable_sources": md(report.unroutable, max_rows=100, width=120),
            "supply_by_language": md(report.by_language, max_rows=100),
            "source_backend": source.backend,
            "tables": f"{tables.STAGE_COVERAGE}, {tables.SOURCE_UNROUTABLE}",
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )
