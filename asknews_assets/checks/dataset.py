"""Checks of the dataset stage: splits that cannot leak, and an export folder that is complete."""

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from asknews_assets import settings
from asknews_assets.dataset.export import ALL_SPLITS, EXPORT_FILES, DatasetExportMissing, read_manifest
from asknews_assets.dataset.splits import SplitSettings, find_leaks
from asknews_assets.metadata import counts_md, md
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse

# For a table whose export records no threshold (or several versions): the splitter's default.
DEFAULT_NEAR_DUPLICATE_THRESHOLD = SplitSettings.near_duplicate_threshold


def _manifest(version: str) -> dict:
    try:
        return read_manifest(settings.current().dataset_store_dir / version)
    except DatasetExportMissing:
        return {}


@asset_check(
    asset=tables.DATASET_SPLITS.key,
    blocking=True,
    description="no article in two splits, no held-out topic in train, no train article near-duplicate of"
    " (or identical to) a test or held-out-topic article",
)
def dataset_splits_no_leakage(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not tables.DATASET_SPLITS.exists(conn) or not tables.ANNOTATED_ARTICLES.exists(conn):
            return AssetCheckResult(
                passed=False, metadata={"error": f"{tables.DATASET_SPLITS} or {tables.ANNOTATED_ARTICLES} does not exist"}
            )
        splits = conn.execute(f"SELECT article_id, split, version FROM {tables.DATASET_SPLITS}").df()
        articles = conn.execute(
            "SELECT a.article_id, a.country, a.language, a.topic_id, a.tokenized_text"
            f" FROM {tables.ANNOTATED_ARTICLES} a JOIN (SELECT DISTINCT article_id FROM {tables.DATASET_SPLITS}) s"
            " USING (article_id)"
        ).df()
        embeddings, _ = readers.article_embeddings_of(conn, tables.ANNOTATED_ARTICLES)
    versions = sorted(splits["version"].unique())
    threshold = float(
        _manifest(versions[0]).get("split_config", {}).get("near_duplicate_threshold", DEFAULT_NEAR_DUPLICATE_THRESHOLD)
        if len(versions) == 1
        else DEFAULT_NEAR_DUPLICATE_THRESHOLD
    )
    report = find_leaks(
        splits,
        embeddings,
        threshold,
        texts=dict(zip(articles["article_id"], articles["tokenized_text"].map(tuple), strict=True)),
        topics=dict(zip(articles["article_id"], articles["topic_id"].astype(int), strict=True)),
    )
    near = pd.DataFrame(report.near_duplicate_pairs, columns=["train_article", "other_article", "split", "cosine"])
    return AssetCheckResult(
        passed=report.passed and len(versions) <= 1,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "versions": ", ".join(versions),
            "near_duplicate_threshold": threshold,
            "articles_in_several_splits": len(report.articles_in_several_splits),
            "near_duplicate_pairs": len(report.near_duplicate_pairs),
            "identical_texts": len(report.identical_texts),
            "heldout_topics_in_train": len(report.heldout_topics_in_train),
            "articles_without_embedding": len(report.missing_embeddings),
            "examples": md(near.sort_values("cosine", ascending=False), max_rows=20),
        },
    )


@asset_check(
    asset=tables.DATASET_SPLITS.key, blocking=True, description="the export folder holds every file, and the manifest agrees with the table"
)
def dataset_export_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not tables.DATASET_SPLITS.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.DATASET_SPLITS} does not exist"})
        counts = conn.execute(f"SELECT version, split, count(*) AS n FROM {tables.DATASET_SPLITS} GROUP BY ALL").df()
    versions = sorted(counts["version"].unique())
    if len(versions) != 1:
        problem = "the dataset holds no article" if not versions else f"several dataset versions in one table: {versions}"
        return AssetCheckResult(passed=False, metadata={"error": problem})
    folder = settings.current().dataset_store_dir / versions[0]
    missing = [name for name in EXPORT_FILES if not (folder / name).is_file()]
    table_counts = {name: int(counts.loc[counts["split"] == name, "n"].sum()) for name in ALL_SPLITS}
    manifest_counts = _manifest(versions[0]).get("splits", {})
    return AssetCheckResult(
        passed=not missing and manifest_counts == table_counts,
        metadata={
            "dataset_path": MetadataValue.path(str(folder)),
            "missing_files": ", ".join(missing) or "none",
            "table_counts": counts_md(table_counts, key="split"),
            "manifest_counts": counts_md(manifest_counts, key="split"),
        },
    )
