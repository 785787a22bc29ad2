"""The annotation stage: grounded entity spans on the sampled summaries.

`annotated_articles` turns every article of the diversified sample into an AskNews-NER row
(GLiNER tokens + token spans); the work is `annotation.annotate.annotate_sample`, this module reads
its input, writes its tables and reports.
"""

from typing import Optional

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets.annotation import load_entity_schema
from asknews_assets.annotation.annotate import AnnotatedSample, annotate_sample
from asknews_assets.metadata import bar_plot, counts_md, md
from asknews_assets.resources.annotation import Annotator
from asknews_assets.supply import coverage_metadata, materialized_partitions, stage_coverage
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse

# The sample, and the tables its provenance columns come from when they exist (a hand-made sample has none).
INPUTS = tables.Inputs(tables.DIVERSIFIED_SAMPLE, optional=(tables.TRANSLATED_ARTICLES, tables.ARTICLE_SUMMARIES))
OUTPUTS = (tables.ANNOTATED_ARTICLES, tables.ANNOTATION_FAILURES, tables.ANNOTATION_ENTITY_TYPES, tables.ANNOTATION_QUALITY)


class AnnotatedArticlesConfig(Config):
    """Which entity types annotators may use (see asknews_assets/annotation/entity_types.yaml)."""

    entity_types_path: Optional[str] = Field(
        default=None, description="YAML file of the same shape as the packaged entity_types.yaml; unset: the packaged 54 types."
    )
    entity_types: Optional[list[str]] = Field(default=None, description="Keep only these types of the schema; unset: all.")
    score_gold_set: bool = Field(
        default=True,
        description="Also annotate the hand-annotated gold set (asknews_assets/annotation/gold) and record the"
        " annotator's precision, recall and F1 on it (78 more texts: 78 more LLM calls with the LLM annotator).",
    )


@asset(
    deps=INPUTS.deps,
    group_name="annotation",
    kinds={"duckdb", "python"},
    tags={"stage": "annotation"},
)
def annotated_articles(
    context: AssetExecutionContext, config: AnnotatedArticlesConfig, annotator: Annotator, warehouse: Warehouse
) -> MaterializeResult:
    """Every sampled summary as an AskNews-NER row: GLiNER's word tokens and `[start, end, type]` spans.

    The annotator (LLM, GLiNER or spaCy) proposes entities with types from the schema; each is
    grounded in the tokens (every occurrence of an LLM's entity text, the exact position of a model's
    span). What cannot be grounded or is typed outside the schema is dropped and counted, per
    document and as the backend's ungrounded rate. Articles that could not be annotated (no summary,
    an LLM answer unusable after the retries) go to `annotation_failures` with the reason.
    """
    schema = load_entity_schema(config.entity_types_path, config.entity_types)
    with INPUTS.open(warehouse) as conn:
        sample = readers.sample_with_provenance(conn)
        coverage = stage_coverage(conn, materialized_partitions(context.instance))

    result = annotate_sample(
        sample, schema, lambda documents: annotator.annotate(documents, schema),
        backend=annotator.backend, model=annotator.model_name, prompt_version=annotator.prompt_version,
        score_gold_set=config.score_gold_set,
    )  # fmt: skip
    if result.failed_entirely:
        with warehouse.get_connection() as conn:
            tables.ANNOTATION_FAILURES.replace(conn, result.failures)
        raise Failure(result.failure_message())
    with warehouse.get_connection() as conn:
        tables.ANNOTATED_ARTICLES.replace(conn, result.rows)
        tables.ANNOTATION_FAILURES.replace(conn, result.failures)
        tables.ANNOTATION_ENTITY_TYPES.replace(conn, result.entity_types)
        tables.ANNOTATION_QUALITY.replace(conn, result.quality_rows)

    stats = result.stats
    context.log.info(
        f"annotated {len(result.rows)} of {result.articles} articles with {result.backend} ({result.model}):"
        f" {stats['n_entities']} entities, ungrounded rate {stats['ungrounded_rate']:.3f}, unattested in the article"
        f" {stats['unattested_rate']:.3f}, {len(result.failures)} failed"
    )
    return MaterializeResult(
        metadata={
            **_metadata(result, schema.version, len(schema)),
            **coverage_metadata(coverage),
            "preview": md(result.preview(), width=120),
            "tables": ", ".join(map(str, OUTPUTS)),
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )


def _metadata(result: AnnotatedSample, schema_version: str, schema_types: int) -> dict[str, object]:
    """The figures of an annotation, as the UI shows them."""
    stats, type_counts = result.stats, result.type_counts
    return {
        "dagster/row_count": len(result.rows),
        "articles": result.articles,
        "annotated": len(result.rows),
        "failed": len(result.failures),
        "failures_by_reason": counts_md(result.failures_by_reason, key="reason"),
        "annotation_backend": result.backend,
        "annotation_model": result.model,
        "prompt_version": result.prompt_version or "",
        "cached_answers": result.cached,
        "entity_schema": schema_version,
        "entity_types_in_schema": schema_types,
        "n_entities": stats["n_entities"],
        "n_proposed": stats["n_proposed"],
        "ungrounded_rate": float(stats["ungrounded_rate"]),
        "unknown_type_rate": float(stats["unknown_type_rate"]),
        "spans_trimmed": stats["n_trimmed"],
        "spans_trimmed_by_kind": counts_md(stats["trimmed_by_kind"], key="trimmed"),
        "unattested_rate": float(stats["unattested_rate"]),
        "n_unattested": stats["n_unattested"],
        "documents_checked_against_article": stats["documents_checked_against_article"],
        "most_common_unattested": counts_md(result.most_common_mentions("unattested_mentions"), key="mention"),
        "entities_per_document_mean": float(stats["entities_per_document_mean"]),
        "entities_per_document_median": float(stats["entities_per_document_median"]),
        "entities_per_document_max": stats["entities_per_document_max"],
        "documents_without_entities": stats["documents_without_entities"],
        "entities_per_type": counts_md(type_counts, key="entity_type"),
        "entities_per_type_plot": bar_plot(type_counts, title=f"entities per type ({result.backend})"),
        "entities_per_document_plot": bar_plot(
            result.documents_by_entity_count, title="documents by number of entities", xlabel="entities"
        ),
        "most_common_ungrounded": counts_md(result.most_common_mentions("ungrounded_mentions"), key="mention"),
        **_quality_metadata(result),
    }


def _quality_metadata(result: AnnotatedSample) -> dict[str, object]:
    """The annotator's figures on the gold set; the held-out split's are the ones to quote."""
    if not result.quality:
        return {"annotation_quality": "not measured (score_gold_set is off)"}
    heldout = result.quality["heldout"].micro
    return {
        "gold_f1_heldout": float(round(heldout.f1, 4)),
        "gold_precision_heldout": float(round(heldout.precision, 4)),
        "gold_recall_heldout": float(round(heldout.recall, 4)),
        "annotation_quality": md(result.quality_summary(), width=200),
        "annotation_quality_backend": f"{result.backend} ({result.model})",
        "annotation_quality_per_type": md(result.quality["all"].per_type_rows(), max_rows=60),
        "annotation_quality_confusions": md(result.quality["all"].confusion_rows()),
    }
