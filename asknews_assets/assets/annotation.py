"""The annotation layer: grounded entity spans on the sampled summaries, and the dataset's splits.

`annotated_articles` turns every article of the diversified sample into an AskNews-NER row
(GLiNER tokens + token spans); `dataset_splits` divides them into train / validation / test and a
held-out-topics test without leakage, and writes the versioned export that fine-tuning and
publication read (found through the `dataset_version` / `dataset_path` metadata and the manifest).
"""

import json
from collections import Counter
from typing import Optional

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, AssetKey, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from asknews_assets import settings
from asknews_assets.annotation import (
    ALL_SPLITS,
    Document,
    SplitSettings,
    annotated_rows,
    annotation_stats,
    assign_splits,
    entity_type_counts,
    load_entity_schema,
    normalize_text,
)
from asknews_assets.dataset.export import build_manifest, content_version, recipe_rows, split_frames, write_export
from asknews_assets.annotation.quality import GOLD_SET_PATH, QualityReport, evaluate_on_gold, quality_rows
from asknews_assets.annotation.records import spans_of
from asknews_assets.warehouse.readers import read_with_embeddings
from asknews_assets.supply import coverage_metadata, materialized_partitions, stage_coverage, supply_by_language
from asknews_assets.llm import LLMCache
from asknews_assets.metadata import bar_plot, counts_md, md
from asknews_assets.resources.annotation import Annotator
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import replace_table, table_exists

DIVERSIFIED_SAMPLE = AssetKey("diversified_sample")
ARTICLE_EMBEDDINGS = AssetKey("article_embeddings")
ANNOTATED_ARTICLES = AssetKey("annotated_articles")
DATASET_SPLITS = AssetKey("dataset_splits")

ANNOTATED_ARTICLES_DDL = """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL, topic_id INTEGER NOT NULL,
    topic_label VARCHAR, pub_date TIMESTAMPTZ, tokenized_text VARCHAR[] NOT NULL, ner JSON NOT NULL, metadata JSON NOT NULL,
    annotation_backend VARCHAR NOT NULL, annotation_model VARCHAR NOT NULL, n_entities INTEGER NOT NULL,
    n_proposed INTEGER NOT NULL, n_ungrounded INTEGER NOT NULL, n_unknown_type INTEGER NOT NULL,
    n_trimmed INTEGER NOT NULL, trimmed_by_kind JSON, ungrounded_mentions JSON, provenance JSON, annotated_at TIMESTAMPTZ,
    n_unattested INTEGER, unattested_mentions JSON
"""
ANNOTATION_FAILURES_DDL = """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    attempts INTEGER, annotation_backend VARCHAR, annotation_model VARCHAR
"""
ENTITY_TYPES_DDL = "entity_type VARCHAR NOT NULL, description VARCHAR, position INTEGER NOT NULL, schema_version VARCHAR"
DATASET_SPLITS_DDL = "article_id VARCHAR NOT NULL, split VARCHAR NOT NULL, version VARCHAR NOT NULL"
ANNOTATION_QUALITY_DDL = """
    part VARCHAR NOT NULL, documents INTEGER, precision DOUBLE, recall DOUBLE, f1 DOUBLE, gold_spans INTEGER,
    predicted_spans INTEGER, boundary_errors INTEGER, type_errors INTEGER, boundary_and_type_errors INTEGER,
    spurious_errors INTEGER, missed_errors INTEGER, failed_documents INTEGER,
    annotation_backend VARCHAR, annotation_model VARCHAR, gold_set VARCHAR
"""

# Provenance columns of the upstream tables, NULL where a table is absent (e.g. a hand-made sample).
_PROVENANCE_JOINS = {
    # text_en: the article's English text (source English or translation), which entities are checked against.
    "translated_articles": ("t", ("translation_backend", "translation_model", "text_en")),
    "article_summaries": ("s", ("summary_backend", "summary_model", "prompt_version")),
}


def _require(conn, table: str, key: AssetKey) -> None:
    if not table_exists(conn, table):
        raise Failure(f"table {table} does not exist yet: materialise {key.to_user_string()} first")


def read_sample(conn) -> pd.DataFrame:
    """The diversified sample with the backends and models that translated and summarised each article."""
    columns, joins = [], []
    for table, (alias, names) in _PROVENANCE_JOINS.items():
        present = table_exists(conn, table)
        columns += [f"{alias}.{n}" if present else f"NULL AS {n}" for n in names]
        if present:
            joins.append(f"LEFT JOIN {table} {alias} USING (country, language, article_id)")
    return conn.execute(
        f"""
        SELECT d.article_id, d.country, d.language, d.topic_id, d.topic_label, d.pub_date, d.summary, {", ".join(columns)}
        FROM diversified_sample d {" ".join(joins)}
        ORDER BY d.sample_rank, d.article_id
        """
    ).df()


def read_entity_types(conn) -> list[str]:
    if not table_exists(conn, "annotation_entity_types"):
        return []
    return [name for (name,) in conn.execute("SELECT entity_type FROM annotation_entity_types ORDER BY position").fetchall()]


def read_article_embeddings(conn, article_table: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Embeddings of the articles in `article_table`, and the model that made each, by article id."""
    if not table_exists(conn, "article_embeddings"):
        return {}, {}
    rows, vectors = read_with_embeddings(
        conn,
        f"""
        SELECT e.article_id, e.embedding_model, e.embedding
        FROM article_embeddings e JOIN (SELECT DISTINCT article_id, country, language FROM {article_table}) a
        USING (country, language, article_id)
        ORDER BY e.article_id
        """,
    )
    ids = rows["article_id"].astype(str)
    models = dict(zip(ids, rows["embedding_model"].astype(str), strict=True))
    if len(set(models.values())) > 1:
        raise Failure(
            f"article_embeddings mixes embedding models {dict(Counter(models.values()))}: re-embed with one model to compare articles"
        )
    return dict(zip(ids, vectors, strict=True)), models


def read_licenses(conn, article_table: str) -> dict[str, str]:
    """The source licence of each article of `article_table`, by article id ('unknown' where neither
    the record nor the source gave one)."""
    if not table_exists(conn, "raw_articles"):
        return {}
    has_license = conn.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'raw_articles' AND column_name = 'license'"
    ).fetchone()[0]
    license_of = "coalesce(nullif(trim(r.license), ''), 'unknown')" if has_license else "'unknown'"
    rows = conn.execute(
        f"""
        SELECT a.article_id, {license_of} FROM (SELECT DISTINCT country, language, article_id FROM {article_table}) a
        LEFT JOIN raw_articles r USING (country, language, article_id)
        """
    ).fetchall()
    return {str(article_id): str(name) for article_id, name in rows}


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
    deps=[DIVERSIFIED_SAMPLE],
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
    with warehouse.get_connection() as conn:
        _require(conn, "diversified_sample", DIVERSIFIED_SAMPLE)
        sample = read_sample(conn)
        coverage = stage_coverage(conn, materialized_partitions(context.instance))

    articles = sample.to_dict("records")
    texts = {a["article_id"]: normalize_text(a["summary"] or "").strip() for a in articles}
    documents = [Document(a["article_id"], texts[a["article_id"]]) for a in articles if texts[a["article_id"]]]
    annotations = {a.key: a for a in annotator.annotate(documents, schema, LLMCache(warehouse.get_connection))}

    backend, model, prompt_version = annotator.backend, annotator.model_name, annotator.prompt_version
    quality = (
        evaluate_on_gold(lambda docs: annotator.annotate(docs, schema, LLMCache(warehouse.get_connection)), schema.names)
        if config.score_gold_set
        else {}
    )
    references = {a["article_id"]: a["text_en"] if isinstance(a.get("text_en"), str) else None for a in articles}
    rows, failures = annotated_rows(
        articles, texts, annotations, schema.names, backend=backend, model=model, prompt_version=prompt_version,
        references=references,
    )  # fmt: skip
    if articles and not rows:
        with warehouse.get_connection() as conn:
            replace_table(conn, "annotation_failures", ANNOTATION_FAILURES_DDL, failures)
        reasons = Counter(f["reason"] for f in failures)
        raise Failure(f"no article of {len(articles)} could be annotated by {backend} ({model}): {dict(reasons)}")

    entity_types = [
        {"entity_type": t.name, "description": t.description, "position": i, "schema_version": schema.version}
        for i, t in enumerate(schema)
    ]
    with warehouse.get_connection() as conn:
        replace_table(conn, "annotated_articles", ANNOTATED_ARTICLES_DDL, rows)
        replace_table(conn, "annotation_failures", ANNOTATION_FAILURES_DDL, failures)
        replace_table(conn, "annotation_entity_types", ENTITY_TYPES_DDL, entity_types)
        replace_table(
            conn,
            "annotation_quality",
            ANNOTATION_QUALITY_DDL,
            [{**row, "annotation_backend": backend, "annotation_model": model, "gold_set": GOLD_SET_PATH.name} for row in quality_rows(quality)],
        )

    stats = annotation_stats(rows)
    type_counts = entity_type_counts(rows)
    ungrounded = Counter(m for r in rows for m in json.loads(r["ungrounded_mentions"]))
    unattested = Counter(m for r in rows for m in json.loads(r["unattested_mentions"]))
    cached = sum(1 for a in annotations.values() if a.cached)
    context.log.info(
        f"annotated {len(rows)} of {len(articles)} articles with {backend} ({model}): {stats['n_entities']} entities,"
        f" ungrounded rate {stats['ungrounded_rate']:.3f}, unattested in the article {stats['unattested_rate']:.3f},"
        f" {len(failures)} failed"
    )
    preview = [
        {
            "article_id": r["article_id"],
            "entities": ", ".join(f"{' '.join(r['tokenized_text'][s : e + 1])} ({t})" for s, e, t in json.loads(r["ner"])[:8]),
            "text": " ".join(r["tokenized_text"]),
        }
        for r in rows
    ]
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "articles": len(articles),
            "annotated": len(rows),
            "failed": len(failures),
            "failures_by_reason": counts_md(Counter(f["reason"] for f in failures), key="reason"),
            "annotation_backend": backend,
            "annotation_model": model,
            "prompt_version": prompt_version or "",
            "cached_answers": cached,
            "entity_schema": schema.version,
            "entity_types_in_schema": len(schema),
            "n_entities": stats["n_entities"],
            "n_proposed": stats["n_proposed"],
            "ungrounded_rate": float(stats["ungrounded_rate"]),
            "unknown_type_rate": float(stats["unknown_type_rate"]),
            "spans_trimmed": stats["n_trimmed"],
            "spans_trimmed_by_kind": counts_md(stats["trimmed_by_kind"], key="trimmed"),
            "unattested_rate": float(stats["unattested_rate"]),
            "n_unattested": stats["n_unattested"],
            "documents_checked_against_article": stats["documents_checked_against_article"],
            "most_common_unattested": counts_md(unattested.most_common(20), key="mention"),
            "entities_per_document_mean": float(stats["entities_per_document_mean"]),
            "entities_per_document_median": float(stats["entities_per_document_median"]),
            "entities_per_document_max": stats["entities_per_document_max"],
            "documents_without_entities": stats["documents_without_entities"],
            "entities_per_type": counts_md(type_counts, key="entity_type"),
            "entities_per_type_plot": bar_plot(type_counts, title=f"entities per type ({backend})"),
            "entities_per_document_plot": bar_plot(
                dict(sorted(Counter(r["n_entities"] for r in rows).items())), title="documents by number of entities", xlabel="entities"
            ),
            "most_common_ungrounded": counts_md(ungrounded.most_common(20), key="mention"),
            **_quality_metadata(quality, backend, model),
            **coverage_metadata(coverage),
            "preview": md(preview, width=120),
            "tables": "annotated_articles, annotation_failures, annotation_entity_types, annotation_quality",
            "warehouse": MetadataValue.path(str(warehouse.database)),
        }
    )


def _quality_metadata(quality: dict[str, QualityReport], backend: str, model: str) -> dict[str, object]:
    """The annotator's figures on the gold set; the held-out split's are the ones to quote."""
    if not quality:
        return {"annotation_quality": "not measured (score_gold_set is off)"}
    heldout = quality["heldout"]
    return {
        "gold_f1_heldout": float(round(heldout.micro.f1, 4)),
        "gold_precision_heldout": float(round(heldout.micro.precision, 4)),
        "gold_recall_heldout": float(round(heldout.micro.recall, 4)),
        "annotation_quality": md(quality_rows(quality), width=200),
        "annotation_quality_backend": f"{backend} ({model})",
        "annotation_quality_per_type": md(quality["all"].per_type_rows(), max_rows=60),
        "annotation_quality_confusions": md(
            [{"gold": g, "predicted": p, "count": n} for g, p, n in quality["all"].confusions[:20]]
        ),
    }


def _per_split(values_by_split: dict[str, list], name: str) -> MetadataValue:
    """A markdown table of how often each value occurs in each split, most frequent first."""
    counts = {split: Counter(values) for split, values in values_by_split.items()}
    rows = [
        {name: value, **{split: counts[split][value] for split in ALL_SPLITS}, "total": total}
        for value, total in sum(counts.values(), Counter()).most_common()
    ]
    return md(rows, max_rows=100)


class DatasetSplitsConfig(Config):
    """Split ratios, held-out topics and the near-duplicate threshold (see asknews_assets.dataset.splits)."""

    train_ratio: float = Field(default=0.8, gt=0, le=1)
    validation_ratio: float = Field(default=0.1, ge=0, le=1)
    test_ratio: float = Field(default=0.1, ge=0, le=1)
    heldout_topics: Optional[int] = Field(default=None, ge=0, description="Topics held out; unset: heldout_topic_share of them.")
    heldout_topic_share: float = Field(default=0.1, ge=0, lt=1, description="Share of topics held out (at least one when > 0).")
    seed: int = 0
    near_duplicate_threshold: float = Field(
        default=0.95, gt=0, le=1, description="Cosine similarity above which two articles count as near-duplicates."
    )

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


@asset(
    deps=[ANNOTATED_ARTICLES, ARTICLE_EMBEDDINGS],
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
    split_settings = config.split_settings()
    with warehouse.get_connection() as conn:
        _require(conn, "annotated_articles", ANNOTATED_ARTICLES)
        annotated = conn.execute("SELECT * FROM annotated_articles ORDER BY article_id").df()
        embeddings, embedding_model_of = read_article_embeddings(conn, "annotated_articles")
        entity_types = read_entity_types(conn) or sorted(entity_type_counts(annotated.to_dict("records")))
        diversity = conn.execute("SELECT * FROM diversity_metrics").df() if table_exists(conn, "diversity_metrics") else pd.DataFrame()
        quality = (
            conn.execute("SELECT * FROM annotation_quality ORDER BY part").df() if table_exists(conn, "annotation_quality") else pd.DataFrame()
        )
        coverage = stage_coverage(conn, materialized_partitions(context.instance))
        unroutable = conn.execute("SELECT * FROM source_unroutable").df() if table_exists(conn, "source_unroutable") else None
        license_of = read_licenses(conn, "annotated_articles")
        sources = (
            [b for (b,) in conn.execute("SELECT DISTINCT source_backend FROM raw_ingest_stats ORDER BY 1").fetchall()]
            if table_exists(conn, "raw_ingest_stats")
            else []
        )

    result = assign_splits(annotated[["article_id", "topic_id", "language"]], split_settings, embeddings)
    licenses = dict(sorted(Counter(license_of.get(a, "unknown") for a in result.assignments).items()))
    frames = split_frames(annotated, result.assignments)
    document = {name: recipe_rows(frames[name]) for name in ALL_SPLITS}
    version = content_version(document)
    topic_labels = dict(zip(annotated["topic_id"].astype(int), annotated["topic_label"], strict=True))
    manifest = build_manifest(
        version,
        frames,
        entity_types=entity_types,
        embedding_models=dict(Counter(embedding_model_of[a] for a in result.assignments if a in embedding_model_of)),
        diversity=diversity.replace({np.nan: None}).to_dict("records"),
        extra={
            "heldout_topics": [{"topic_id": t, "topic_label": topic_labels.get(t)} for t in result.heldout_topics],
            "annotation_quality": quality.replace({np.nan: None}).to_dict("records"),
            "excluded": result.excluded,
            "near_duplicate_groups": result.near_duplicate_groups,
            "articles_without_embedding": int(sum(1 for a in annotated["article_id"] if a not in embeddings)),
            # What the source supplied, by language, and the licences of the articles in the dataset.
            "supply": supply_by_language(coverage, unroutable),
            "licenses": licenses,
            "source_backends": sources,
            "split_config": {
                **split_settings.ratios,
                "heldout_topics": split_settings.heldout_topics,
                "heldout_topic_share": split_settings.heldout_topic_share,
                "seed": split_settings.seed,
                "near_duplicate_threshold": split_settings.near_duplicate_threshold,
            },
        },
    )
    path = write_export(settings.dataset_store_dir(), document, frames, manifest)
    assignments = [{"article_id": a, "split": s, "version": version} for a, s in result.assignments.items()]
    with warehouse.get_connection() as conn:
        replace_table(conn, "dataset_splits", DATASET_SPLITS_DDL, assignments)
    context.log.info(f"dataset {version}: {manifest['splits']} written to {path}")

    return MaterializeResult(
        metadata={
            "dagster/row_count": len(assignments),
            "dataset_version": version,
            "dataset_path": MetadataValue.path(str(path)),
            "splits": counts_md(manifest["splits"], key="split", value="documents"),
            **{f"{name}_documents": n for name, n in manifest["splits"].items()},
            "documents_per_language": _per_split({n: f["language"].tolist() for n, f in frames.items()}, "language"),
            "documents_per_country": _per_split({n: f["country"].tolist() for n, f in frames.items()}, "country"),
            "entities_per_type": _per_split(
                {n: [span[2] for ner in f["ner"] for span in spans_of(ner)] for n, f in frames.items()}, "entity_type"
            ),
            "heldout_topics": md(manifest["heldout_topics"]),
            "excluded": len(result.excluded),
            "near_duplicate_groups": result.near_duplicate_groups,
            "near_duplicate_threshold": split_settings.near_duplicate_threshold,
            "n_entities": manifest["n_entities"],
            "ungrounded_rate": float(manifest["ungrounded_rate"]),
            "unattested_rate": float(manifest["unattested_rate"]),
            "seed": split_settings.seed,
            "table": "dataset_splits",
            "licenses": counts_md(sorted(licenses.items()), key="license", value="documents"),
            **coverage_metadata(coverage),
        }
    )
