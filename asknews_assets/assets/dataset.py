"""The dataset stage: leak-free splits of the annotated articles and the versioned export.

`dataset_splits` divides the annotated articles into train / validation / test and a held-out-topics
test without leakage (`dataset.build.build_dataset`), and writes the export that fine-tuning and
publication read (found through the `dataset_version` / `dataset_path` metadata and the manifest).
"""

from pathlib import Path
from typing import Optional

import duckdb
import pandas as pd
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets import settings
from asknews_assets.dataset.build import DatasetBuild, DatasetInputs, build_dataset
from asknews_assets.dataset.export import write_export
from asknews_assets.dataset.splits import SplitSettings
from asknews_assets.metadata import counts_md, md
from asknews_assets.supply import coverage_metadata, materialized_partitions, stage_coverage
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse

# The annotated articles; the rest adds near-duplicate grouping, provenance and supply figures when present.
INPUTS = tables.Inputs(
    tables.ANNOTATED_ARTICLES,
    optional=(
        tables.ANNOTATION_ENTITY_TYPES,
        tables.ANNOTATION_QUALITY,
        tables.ARTICLE_EMBEDDINGS,
        tables.DIVERSITY_METRICS,
        tables.SOURCE_UNROUTABLE,
        tables.RAW_ARTICLES,
        tables.RAW_INGEST_STATS,
    ),
)


class DatasetSplitsConfig(Config):
    """Split ratios, held-out topics and the near-duplicate threshold (see asknews_assets.dataset.splits)."""

    train_ratio: float = Field(default=SplitSettings.train, gt=0, le=1)
    validation_ratio: float = Field(default=SplitSettings.validation, ge=0, le=1)
    test_ratio: float = Field(default=SplitSettings.test, ge=0, le=1)
    heldout_topics: Optional[int] = Field(default=None, ge=0, description="Topics held out; unset: heldout_topic_share of them.")
    heldout_topic_share: float = Field(
        default=SplitSettings.heldout_topic_share, ge=0, lt=1, description="Share of topics held out (at least one when > 0)."
    )
    seed: int = SplitSettings.seed
    near_duplicate_threshold: float = Field(
        default=SplitSettings.near_duplicate_threshold, gt=0, le=1,
        description="Cosine similarity above which two articles count as near-duplicates.",
    )  # fmt: skip

    def split_settings(self) -> SplitSettings:
        return SplitSettings(
            train=self.train_ratio,
            validation=self.validation_ratio,
            test=self.test_ratio,
            heldout_topics=self.heldout_topics,
            heldout_topic_share=self.heldout_topic_share,
            seed=self.seed,
            near_duplicate_threshold=self.near_duplicate_threshold,
        )


def _read_inputs(conn: duckdb.DuckDBPyConnection, coverage: pd.DataFrame) -> DatasetInputs:
    """Everything build_dataset uses, through the contract; tables not written yet read as empty."""
    embeddings, embedding_models = readers.article_embeddings_of(conn, tables.ANNOTATED_ARTICLES)
    sources = (
        [b for (b,) in conn.execute(f"SELECT DISTINCT source_backend FROM {tables.RAW_INGEST_STATS} ORDER BY 1").fetchall()]
        if tables.RAW_INGEST_STATS.exists(conn)
        else []
    )
    return DatasetInputs(
        annotated=tables.ANNOTATED_ARTICLES.read(conn, order_by="article_id"),
        coverage=coverage,
        embeddings=embeddings,
        embedding_models=embedding_models,
        entity_types=readers.entity_types(conn),
        diversity=tables.DIVERSITY_METRICS.read(conn),
        quality=tables.ANNOTATION_QUALITY.read(conn, order_by="part"),
        unroutable=tables.SOURCE_UNROUTABLE.read(conn) if tables.SOURCE_UNROUTABLE.exists(conn) else None,
        licenses=readers.licenses_of(conn, tables.ANNOTATED_ARTICLES),
        source_backends=sources,
    )


@asset(
    deps=INPUTS.deps,
    group_name="dataset",
    kinds={"duckdb", "parquet", "python"},
    tags={"stage": "dataset"},
)
def dataset_splits(context: AssetExecutionContext, config: DatasetSplitsConfig, warehouse: Warehouse) -> MaterializeResult:
    """The dataset: train / validation / test stratified by topic and language, plus test_heldout_topics.

    Near-duplicate articles (embedding cosine above the threshold) always share a split, and the
    held-out topics never occur in train. Written as the recipe's JSON and one Parquet file per
    split into `<dataset_store_dir>/<version>/` with a manifest (counts, provenance, diversity);
    the version is a hash of the content. `dataset_splits` lists each article's split.
    """
    with INPUTS.open(warehouse) as conn:
        coverage = stage_coverage(conn, materialized_partitions(context.instance))
        inputs = _read_inputs(conn, coverage)
    build = build_dataset(inputs, config.split_settings())
    path = write_export(settings.current().dataset_store_dir, build.document, build.frames, build.manifest)
    assignments = build.assignments()
    with warehouse.get_connection() as conn:
        tables.DATASET_SPLITS.replace(conn, assignments)
    context.log.info(f"dataset {build.version}: {build.manifest['splits']} written to {path}")
    return MaterializeResult(
        metadata={
            **_metadata(build, config.split_settings(), path),
            **coverage_metadata(coverage),
        }
    )


def _metadata(build: DatasetBuild, split_settings: SplitSettings, path: Path) -> dict[str, object]:
    """The figures of a dataset version, as the UI shows them."""
    manifest = build.manifest
    return {
        "dagster/row_count": len(build.split.assignments),
        "dataset_version": build.version,
        "dataset_path": MetadataValue.path(str(path)),
        "splits": counts_md(manifest["splits"], key="split", value="documents"),
        **{f"{name}_documents": n for name, n in manifest["splits"].items()},
        "documents_per_language": md(build.per_split("language"), max_rows=100),
        "documents_per_country": md(build.per_split("country"), max_rows=100),
        "entities_per_type": md(build.per_split("entity_type"), max_rows=100),
        "heldout_topics": md(manifest["heldout_topics"]),
        "excluded": len(build.split.excluded),
        "near_duplicate_groups": build.split.near_duplicate_groups,
        "near_duplicate_threshold": split_settings.near_duplicate_threshold,
        "n_entities": manifest["n_entities"],
        "ungrounded_rate": float(manifest["ungrounded_rate"]),
        "unattested_rate": float(manifest["unattested_rate"]),
        "seed": split_settings.seed,
        "table": str(tables.DATASET_SPLITS),
        "licenses": counts_md(sorted(build.licenses.items()), key="license", value="documents"),
    }
