"""The supply of the dataset build: what the source holds, and how far each partition's articles got.

`article_supply` is the first dataset-wide asset: it accounts for the source as a whole (read =
accepted + rejected + unroutable), counts per partition how many accepted articles reached each
per-partition stage, and names the partitions that are missing or stale in a stage. Its blocking
check stops the dataset build on such gaps unless a partial build is explicitly accepted.
"""

from typing import Optional

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets import settings
from asknews_assets.supply import coverage_metadata, coverage_totals, materialized_partitions, stage_coverage, supply_by_language
from asknews_assets.metadata import md
from asknews_assets.resources.ingest import NewsSource
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import replace_table

ARTICLE_SUPPLY = AssetKey("article_supply")
UNROUTABLE_DDL = "location VARCHAR NOT NULL, language VARCHAR, reason VARCHAR NOT NULL, records BIGINT NOT NULL"
STAGE_COVERAGE_DDL = """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, read BIGINT, accepted BIGINT, rejected BIGINT,
    translated BIGINT, translation_failed BIGINT, summarised BIGINT, summary_failed BIGINT, embedded BIGINT,
    status VARCHAR NOT NULL
"""


class ArticleSupplyConfig(Config):
    accept_partial_build: Optional[bool] = Field(
        default=None,
        description="Let the dataset build go on although partitions are missing or stale in a stage (the gaps are"
        " still recorded); unset: ASKNEWS_ACCEPT_PARTIAL_BUILD (default no).",
    )


@asset(
    deps=[AssetKey("raw_articles"), AssetKey("translated_articles"), AssetKey("article_summaries"), AssetKey("article_embeddings")],
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
    unroutable = [
        {"location": u.location, "language": u.language, "reason": u.reason, "records": u.records} for u in source.unroutable()
    ]
    accept_partial = settings.current().accept_partial_build if config.accept_partial_build is None else config.accept_partial_build
    with warehouse.get_connection() as conn:
        coverage = stage_coverage(conn, materialized_partitions(context.instance))
        replace_table(conn, "source_unroutable", UNROUTABLE_DDL, unroutable)
        replace_table(conn, "stage_coverage", STAGE_COVERAGE_DDL, coverage)
        unroutable_frame = conn.execute("SELECT * FROM source_unroutable").df()

    totals = coverage_totals(coverage)
    unroutable_records = sum(u["records"] for u in unroutable)
    supply = supply_by_language(coverage, unroutable_frame)
    if totals["partitions_with_gaps"]:
        context.log.warning(
            f"{totals['partitions_with_gaps']} of {totals['partitions']} partitions have gaps in a stage"
            + (" (partial build accepted)" if accept_partial else "")
        )
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(coverage),
            "read": totals["read"] + unroutable_records,
            "accepted": totals["accepted"],
            "rejected": totals["rejected"],
            "unroutable": unroutable_records,
            "unroutable_files": len(unroutable),
            "translated": totals["translated"],
            "translation_failed": totals["translation_failed"],
            "summarised": totals["summarised"],
            "summary_failed": totals["summary_failed"],
            "embedded": totals["embedded"],
            "partial_build_accepted": accept_partial,
            **coverage_metadata(coverage),
            "unroutable_sources": md(unroutable, max_rows=100, width=120),
            "supply_by_language": md([{"language": k, **v} for k, v in supply.items()], max_rows=100),
            "source_backend": source.backend,
            "tables": "stage_coverage, source_unroutable",
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )
