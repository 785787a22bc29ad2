"""Checks of the annotation stage: valid spans on every document."""

from collections import Counter

from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from asknews_assets.annotation import annotation_stats, entity_type_counts, record_problems
from asknews_assets.metadata import bar_plot, counts_md, md
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse


@asset_check(
    asset=tables.ANNOTATED_ARTICLES.key,
    blocking=True,
    description="every document has text; every span lies inside it, has a schema type and overlaps no other",
)
def annotated_articles_valid(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not tables.ANNOTATED_ARTICLES.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.ANNOTATED_ARTICLES} does not exist"})
        rows = conn.execute(
            "SELECT article_id, tokenized_text, ner, n_entities, n_proposed, n_ungrounded, n_unknown_type"
            f" FROM {tables.ANNOTATED_ARTICLES}"
        ).df().to_dict("records")
        entity_types = readers.entity_types(conn)
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
