"""Checks of the annotation layer: valid spans on every document, and splits that cannot leak."""

import json
from collections import Counter

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from asknews_assets import settings
from asknews_assets.annotation import annotation_stats, entity_type_counts, find_leaks, record_problems
from asknews_assets.dataset.export import DATASET_FILE, MANIFEST_FILE
from asknews_assets.dataset.splits import ALL_SPLITS
from asknews_assets.assets.annotation import (
    ANNOTATED_ARTICLES,
    DATASET_SPLITS,
    read_article_embeddings,
    read_entity_types,
)
from asknews_assets.metadata import bar_plot, counts_md, md
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import table_exists

DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.95


@asset_check(
    asset=ANNOTATED_ARTICLES,
    blocking=True,
    description="every document has text; every span lies inside it, has a schema type and overlaps no other",
)
def annotated_articles_valid(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "annotated_articles"):
            return AssetCheckResult(passed=False, metadata={"error": "annotated_articles does not exist"})
        rows = conn.execute(
            "SELECT article_id, tokenized_text, ner, n_entities, n_proposed, n_ungrounded, n_unknown_type FROM annotated_articles"
        ).df().to_dict("records")
        entity_types = read_entity_types(conn)
    problems = [
        {"article_id": row["article_id"], "problem": problem} for row in rows for problem in record_problems(row, entity_types)
    ]
    stats = annotation_stats(rows)
    type_counts = entity_type_counts(rows)
    return AssetCheckResult(
        passed=not problems and bool(entity_types),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "documents": len(rows),
            "documents_with_problems": len({p["article_id"] for p in problems}),
            "problems_by_kind": counts_md(Counter(p["problem"].split(":")[0] for p in problems), key="problem"),
            "problems": md(problems, max_rows=20),
            "schema_types": len(entity_types),
            "entities_per_type": counts_md(type_counts, key="entity_type"),
            "entities_per_type_plot": bar_plot(type_counts, title="entities per type"),
            "entities_per_document_mean": float(stats["entities_per_document_mean"]),
            "entities_per_document_max": stats["entities_per_document_max"],
            "documents_without_entities": stats["documents_without_entities"],
            "ungrounded_rate": float(stats["ungrounded_rate"]),
            "unknown_type_rate": float(stats["unknown_type_rate"]),
        },
    )


def _manifest(version: str) -> dict:
    path = settings.current().dataset_store_dir / version / MANIFEST_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@asset_check(
    asset=DATASET_SPLITS,
    blocking=True,
    description="no article in two splits, no held-out topic in train, no train article near-duplicate of"
    " (or identical to) a test or held-out-topic article",
)
def dataset_splits_no_leakage(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "dataset_splits") or not table_exists(conn, "annotated_articles"):
            return AssetCheckResult(passed=False, metadata={"error": "dataset_splits or annotated_articles does not exist"})
        splits = conn.execute("SELECT article_id, split, version FROM dataset_splits").df()
        articles = conn.execute(
            "SELECT a.article_id, a.country, a.language, a.topic_id, a.tokenized_text"
            " FROM annotated_articles a JOIN (SELECT DISTINCT article_id FROM dataset_splits) s USING (article_id)"
        ).df()
        embeddings, _ = read_article_embeddings(conn, "annotated_articles")
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
    asset=DATASET_SPLITS, blocking=True, description="the export folder holds every file, and the manifest agrees with the table"
)
def dataset_export_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "dataset_splits"):
            return AssetCheckResult(passed=False, metadata={"error": "dataset_splits does not exist"})
        counts = conn.execute("SELECT version, split, count(*) AS n FROM dataset_splits GROUP BY ALL").df()
    versions = sorted(counts["version"].unique())
    if len(versions) != 1:
        problem = "the dataset holds no article" if not versions else f"several dataset versions in one table: {versions}"
        return AssetCheckResult(passed=False, metadata={"error": problem})
    folder = settings.current().dataset_store_dir / versions[0]
    expected = [DATASET_FILE, MANIFEST_FILE, *(f"{name}.parquet" for name in ALL_SPLITS)]
    missing = [name for name in expected if not (folder / name).is_file()]
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
