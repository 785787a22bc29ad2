"""The warehouse contract: every table of the project, declared once.

A `Table` is a table's name, its schema, the asset that writes it and whether it is partitioned by
country x language. Everything that touches the warehouse goes through these declarations: assets
write with `replace_partition` / `replace` / `replace_rows`, read with `read_partition` or the typed
readers of `warehouse.readers`, and take their graph edges from `Inputs`, which also checks that
the tables it declares exist. So a table's name appears as a string here and nowhere else.

The schemas run on both warehouse backends (the DuckDB file and DuckLake): lists rather than
fixed-size arrays, no PRIMARY KEY or UNIQUE constraints (DuckLake has neither).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
from dagster import AssetKey, Failure

from asknews_assets.partitions import ArticlePartition
from asknews_assets.warehouse import storage

Rows = Sequence[dict[str, Any]] | pd.DataFrame


@dataclass(frozen=True)
class Table:
    name: str
    ddl: str
    asset: str  # the asset that writes it: the graph edge of every reader ('' when no one asset does)
    partitioned: bool = False  # by country x language (columns `country`, `language`)

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> AssetKey:
        if not self.asset:
            raise ValueError(f"{self.name} is written by several assets: it is no graph edge")
        return AssetKey(self.asset)

    def exists(self, conn: duckdb.DuckDBPyConnection) -> bool:
        return storage.table_exists(conn, self.name)

    def require(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Fail, naming the asset to materialise, when the table has not been written yet."""
        if not self.exists(conn):
            raise Failure(f"table {self.name} does not exist yet: materialise {self.asset} first")

    def columns(self, conn: duckdb.DuckDBPyConnection) -> set[str]:
        """The columns the stored table has (a warehouse from an earlier version may lack new ones)."""
        return storage.table_columns(conn, self.name)

    def read(self, conn: duckdb.DuckDBPyConnection, order_by: str = "") -> pd.DataFrame:
        """The whole table (empty when it does not exist)."""
        if not self.exists(conn):
            return pd.DataFrame()
        return conn.execute(f"SELECT * FROM {self.name}" + (f" ORDER BY {order_by}" if order_by else "")).df()

    def read_partition(
        self, conn: duckdb.DuckDBPyConnection, partition: ArticlePartition, order_by: str = "article_id"
    ) -> pd.DataFrame:
        self._partitioned_only()
        return storage.read_partition(conn, self.name, partition, order_by)

    def replace_partition(self, conn: duckdb.DuckDBPyConnection, partition: ArticlePartition, rows: Rows) -> None:
        self._partitioned_only()
        storage.replace_partition(conn, self.name, self.ddl, partition, rows)

    def replace(self, conn: duckdb.DuckDBPyConnection, rows: Rows) -> None:
        """Replace the whole table, schema included."""
        storage.replace_table(conn, self.name, self.ddl, rows)

    def replace_rows(self, conn: duckdb.DuckDBPyConnection, keys: dict[str, str], rows: Rows) -> None:
        """Replace the rows matching `keys` (column -> value) and keep all others."""
        storage.replace_rows(conn, self.name, self.ddl, keys, rows)

    def _partitioned_only(self) -> None:
        if not self.partitioned:
            raise TypeError(f"{self.name} is not partitioned by country x language")


class Inputs:
    """The tables an asset or check reads: its graph edges (`deps`) and the existence check come from
    this one declaration, so the two cannot drift apart."""

    def __init__(self, *tables: Table, optional: Sequence[Table] = ()) -> None:
        self.tables = tables
        self.optional = tuple(optional)  # read when present (provenance columns), never required

    @property
    def deps(self) -> list[AssetKey]:
        keys: list[AssetKey] = []
        for table in (*self.tables, *self.optional):
            if table.key not in keys:
                keys.append(table.key)
        return keys

    def require(self, conn: duckdb.DuckDBPyConnection) -> None:
        for table in self.tables:
            table.require(conn)

    @contextmanager
    def open(self, warehouse: Any) -> Iterator[duckdb.DuckDBPyConnection]:
        """A warehouse connection on which every required input table exists."""
        with warehouse.get_connection() as conn:
            self.require(conn)
            yield conn


# --- ingest -------------------------------------------------------------------------------------
RAW_ARTICLES = Table(
    "raw_articles",
    """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL,
    article_url VARCHAR, canonical_url VARCHAR, source_id VARCHAR, pub_date TIMESTAMPTZ,
    title VARCHAR, text VARCHAR, eng_title VARCHAR, eng_text VARCHAR, classification VARCHAR,
    content_hash VARCHAR, source_location VARCHAR, license VARCHAR, artefacts VARCHAR[], truncated BOOLEAN
    """,
    asset="raw_articles",
    partitioned=True,
)
RAW_ARTICLE_REJECTS = Table(
    "raw_article_rejects",
    """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, source_location VARCHAR,
    reason VARCHAR, detail VARCHAR, excerpt VARCHAR
    """,
    asset="raw_articles",
    partitioned=True,
)
RAW_INGEST_STATS = Table(
    "raw_ingest_stats",
    """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, source_backend VARCHAR,
    read BIGINT, accepted BIGINT, rejected BIGINT, run_id VARCHAR, materialized_at TIMESTAMPTZ
    """,
    asset="raw_articles",
    partitioned=True,
)

# --- supply -------------------------------------------------------------------------------------
SOURCE_UNROUTABLE = Table(
    "source_unroutable",
    "location VARCHAR NOT NULL, language VARCHAR, reason VARCHAR NOT NULL, records BIGINT NOT NULL",
    asset="article_supply",
)
STAGE_COVERAGE = Table(
    "stage_coverage",
    """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, read BIGINT, accepted BIGINT, rejected BIGINT,
    translated BIGINT, translation_failed BIGINT, summarised BIGINT, summary_failed BIGINT, embedded BIGINT,
    status VARCHAR NOT NULL
    """,
    asset="article_supply",
)

# --- translation --------------------------------------------------------------------------------
TRANSLATED_ARTICLES = Table(
    "translated_articles",
    """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL,
    title_en VARCHAR, text_en VARCHAR, translation_backend VARCHAR, translation_model VARCHAR,
    chrf DOUBLE, detected_language VARCHAR, language_confidence DOUBLE, language_matches BOOLEAN
    """,
    asset="translated_articles",
    partitioned=True,
)
TRANSLATION_FAILURES = Table(
    "translation_failures",
    "country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, reason VARCHAR",
    asset="translated_articles",
    partitioned=True,
)

# --- summaries ----------------------------------------------------------------------------------
ARTICLE_SUMMARIES = Table(
    "article_summaries",
    """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, summary VARCHAR NOT NULL,
    summary_backend VARCHAR, summary_model VARCHAR, prompt_version VARCHAR, input_hash VARCHAR
    """,
    asset="article_summaries",
    partitioned=True,
)
ARTICLE_SUMMARY_FAILURES = Table(
    "article_summary_failures",
    "country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL, reason VARCHAR, attempts INTEGER",
    asset="article_summaries",
    partitioned=True,
)
ARTICLE_SUMMARY_STATS = Table(
    "article_summary_stats",
    """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, summary_backend VARCHAR, summary_model VARCHAR,
    prompt_version VARCHAR, articles BIGINT, summarised BIGINT, failed BIGINT, cache_hits BIGINT, new_calls BIGINT,
    run_id VARCHAR, materialized_at TIMESTAMPTZ
    """,
    asset="article_summaries",
    partitioned=True,
)

# --- embeddings ---------------------------------------------------------------------------------
# A list, not FLOAT[dimension]: DuckLake has no fixed-size arrays. One length per table is kept by
# the asset (readers.stored_embedding_dimensions) and checked by article_embeddings_complete.
ARTICLE_EMBEDDINGS = Table(
    "article_embeddings",
    """
    country VARCHAR NOT NULL, language VARCHAR NOT NULL, article_id VARCHAR NOT NULL,
    embedding FLOAT[] NOT NULL,
    embedding_model VARCHAR, embedding_dim INTEGER, embedded_field VARCHAR
    """,
    asset="article_embeddings",
    partitioned=True,
)

# --- topics -------------------------------------------------------------------------------------
TOPICS = Table(
    "topics",
    """
    topic_id INTEGER NOT NULL, label VARCHAR NOT NULL, keywords VARCHAR[], size INTEGER NOT NULL,
    representative_article_id VARCHAR, countries VARCHAR[], languages VARCHAR[],
    label_source VARCHAR, label_failure VARCHAR
    """,
    asset="topic_clusters",
)
ARTICLE_TOPICS = Table(
    "article_topics",
    """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL,
    topic_id INTEGER NOT NULL, topic_label VARCHAR NOT NULL, probability DOUBLE
    """,
    asset="topic_clusters",
)

# --- sample -------------------------------------------------------------------------------------
DIVERSIFIED_SAMPLE = Table(
    "diversified_sample",
    """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL, topic_id INTEGER NOT NULL,
    topic_label VARCHAR, pub_date TIMESTAMPTZ, summary VARCHAR, sample_rank INTEGER NOT NULL
    """,
    asset="diversified_sample",
)
DIVERSITY_METRICS = Table(
    "diversity_metrics",
    "metric VARCHAR NOT NULL, sample DOUBLE, random_baseline DOUBLE, best_possible DOUBLE",
    asset="diversified_sample",
)

# --- annotation ---------------------------------------------------------------------------------
ANNOTATED_ARTICLES = Table(
    "annotated_articles",
    """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL, topic_id INTEGER NOT NULL,
    topic_label VARCHAR, pub_date TIMESTAMPTZ, tokenized_text VARCHAR[] NOT NULL, ner JSON NOT NULL, metadata JSON NOT NULL,
    annotation_backend VARCHAR NOT NULL, annotation_model VARCHAR NOT NULL, n_entities INTEGER NOT NULL,
    n_proposed INTEGER NOT NULL, n_ungrounded INTEGER NOT NULL, n_unknown_type INTEGER NOT NULL,
    n_trimmed INTEGER NOT NULL, trimmed_by_kind JSON, ungrounded_mentions JSON, provenance JSON, annotated_at TIMESTAMPTZ,
    n_unattested INTEGER, unattested_mentions JSON
    """,
    asset="annotated_articles",
)
ANNOTATION_FAILURES = Table(
    "annotation_failures",
    """
    article_id VARCHAR NOT NULL, country VARCHAR NOT NULL, language VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    attempts INTEGER, annotation_backend VARCHAR, annotation_model VARCHAR
    """,
    asset="annotated_articles",
)
ANNOTATION_ENTITY_TYPES = Table(
    "annotation_entity_types",
    "entity_type VARCHAR NOT NULL, description VARCHAR, position INTEGER NOT NULL, schema_version VARCHAR",
    asset="annotated_articles",
)
ANNOTATION_QUALITY = Table(
    "annotation_quality",
    """
    part VARCHAR NOT NULL, documents INTEGER, precision DOUBLE, recall DOUBLE, f1 DOUBLE, gold_spans INTEGER,
    predicted_spans INTEGER, boundary_errors INTEGER, type_errors INTEGER, boundary_and_type_errors INTEGER,
    spurious_errors INTEGER, missed_errors INTEGER, failed_documents INTEGER,
    annotation_backend VARCHAR, annotation_model VARCHAR, gold_set VARCHAR
    """,
    asset="annotated_articles",
)

# --- dataset ------------------------------------------------------------------------------------
DATASET_SPLITS = Table(
    "dataset_splits",
    "article_id VARCHAR NOT NULL, split VARCHAR NOT NULL, version VARCHAR NOT NULL",
    asset="dataset_splits",
)

# --- models -------------------------------------------------------------------------------------
FINETUNED_MODELS = Table(
    "finetuned_models",
    """
    variant VARCHAR NOT NULL, model_version VARCHAR NOT NULL, model_path VARCHAR NOT NULL,
    base_model VARCHAR NOT NULL, data_version VARCHAR NOT NULL, steps INTEGER NOT NULL,
    train_seconds DOUBLE NOT NULL, created_at TIMESTAMPTZ NOT NULL
    """,
    asset="finetuned_gliner",
)
MODEL_EVALUATIONS = Table(
    "model_evaluations",
    """
    variant VARCHAR NOT NULL, model_version VARCHAR NOT NULL, benchmark VARCHAR NOT NULL, model VARCHAR NOT NULL,
    precision DOUBLE NOT NULL, recall DOUBLE NOT NULL, f1 DOUBLE NOT NULL, n_docs INTEGER NOT NULL, per_type JSON,
    n_entities INTEGER, dropped_entities INTEGER, max_sentences INTEGER
    """,
    asset="model_evaluation",
)

# --- model answers, shared by every stage that asks an LLM ---------------------------------------
LLM_CACHE = Table(
    "llm_cache",
    """
    model VARCHAR NOT NULL, prompt_version VARCHAR NOT NULL, input_hash VARCHAR NOT NULL,
    answer VARCHAR NOT NULL, attempts INTEGER, created_at TIMESTAMPTZ
    """,
    asset="",  # written by the summary, topic-label and annotation steps alike; no asset owns it
)

ALL_TABLES = tuple(value for value in list(globals().values()) if isinstance(value, Table))
