"""Jobs: the per-partition article pipeline and the whole-corpus dataset pipeline."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from asknews_assets.partitions import article_partitions

# Groups of assets partitioned by country x language, in graph order; later stages add theirs.
ARTICLE_GROUPS = ("ingestion", "enrichment")

article_partition_job = define_asset_job(
    "article_partition_job",
    selection=AssetSelection.groups(*ARTICLE_GROUPS),
    partitions_def=article_partitions,
    description="Everything partitioned by country x language, for one partition.",
)

ALL_JOBS = [article_partition_job]
