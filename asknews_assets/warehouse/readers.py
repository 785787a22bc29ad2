"""Typed readers over the tables of `warehouse.tables`: the joins and shapes more than one stage reads.

Each takes an open connection and returns plain data (frames, arrays, dicts). Readers of optional
tables return an empty result when the table does not exist yet; the others expect the caller's
`Inputs.require` to have checked that it does.
"""

from __future__ import annotations

import re
from collections import Counter

import duckdb
import numpy as np
import pandas as pd
from dagster import Failure

from asknews_assets.partitions import ArticlePartition
from asknews_assets.warehouse.tables import (
    ANNOTATION_ENTITY_TYPES,
    ARTICLE_EMBEDDINGS,
    ARTICLE_SUMMARIES,
    DIVERSIFIED_SAMPLE,
    MODEL_EVALUATIONS,
    RAW_ARTICLES,
    TRANSLATED_ARTICLES,
    Table,
)


def read_with_embeddings(conn: duckdb.DuckDBPyConnection, query: str, parameters: list | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of `query` without its `embedding` column, and that column as an n x dim matrix."""
    # Executed, not conn.sql: a lazy relation would be blocked by a result left open on `conn`; and
    # not on a cursor, which is a new connection without the DuckLake catalog as its default.
    table = conn.execute(query, parameters or []).to_arrow_table()
    vectors = table.column("embedding").combine_chunks()
    flat = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    matrix = flat.reshape(len(vectors), -1) if len(vectors) else np.zeros((0, 0), np.float32)
    return table.drop(["embedding"]).to_pandas(), matrix


# --- embeddings ---------------------------------------------------------------------------------


def summaries_to_embed(conn: duckdb.DuckDBPyConnection, partition: ArticlePartition) -> pd.DataFrame:
    """A partition's summaries with the English title and text of their articles."""
    return conn.execute(
        f"""
        SELECT s.article_id, s.summary, t.title_en, t.text_en
        FROM {ARTICLE_SUMMARIES} s
        LEFT JOIN {TRANSLATED_ARTICLES} t USING (country, language, article_id)
        WHERE s.country = ? AND s.language = ?
        ORDER BY s.article_id
        """,
        [partition.country, partition.language],
    ).df()


def stored_embedding_dimensions(conn: duckdb.DuckDBPyConnection) -> set[int]:
    """Lengths of the stored embeddings, and the length a fixed-size array column (older files) requires."""
    if not ARTICLE_EMBEDDINGS.exists(conn):
        return set()
    dimensions = {int(n) for (n,) in conn.execute(f"SELECT DISTINCT len(embedding) FROM {ARTICLE_EMBEDDINGS}").fetchall()}
    (column_type,) = conn.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = ?"
        " AND column_name = 'embedding' AND table_catalog = current_database()",
        [ARTICLE_EMBEDDINGS.name],
    ).fetchone()
    if fixed := re.fullmatch(r"FLOAT\[(\d+)\]", column_type):
        dimensions.add(int(fixed.group(1)))
    return dimensions


def embedding_models(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The models (with their dimension) the stored embeddings come from."""
    models = conn.execute(
        f"SELECT DISTINCT embedding_model || ' (' || embedding_dim || '-d)' FROM {ARTICLE_EMBEDDINGS}"
    ).fetchall()
    return sorted(str(model) for (model,) in models)


def article_embeddings_of(conn: duckdb.DuckDBPyConnection, articles: Table) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Embeddings of the articles in `articles`, and the model that made each, by article id."""
    if not ARTICLE_EMBEDDINGS.exists(conn):
        return {}, {}
    rows, vectors = read_with_embeddings(
        conn,
        f"""
        SELECT e.article_id, e.embedding_model, e.embedding
        FROM {ARTICLE_EMBEDDINGS} e JOIN (SELECT DISTINCT article_id, country, language FROM {articles}) a
        USING (country, language, article_id)
        ORDER BY e.article_id
        """,
    )
    ids = rows["article_id"].astype(str)
    models = dict(zip(ids, rows["embedding_model"].astype(str), strict=True))
    if len(set(models.values())) > 1:
        raise Failure(
            f"{ARTICLE_EMBEDDINGS} mixes embedding models {dict(Counter(models.values()))}: re-embed with one model to compare articles"
        )
    return dict(zip(ids, vectors, strict=True)), models


# --- raw articles -------------------------------------------------------------------------------


def article_id_owners(conn: duckdb.DuckDBPyConnection, partition: ArticlePartition, article_ids: list[str]) -> dict[str, str]:
    """Which of `article_ids` other partitions of raw_articles already hold, and where."""
    if not article_ids or not RAW_ARTICLES.exists(conn):
        return {}
    conn.register("_ids", pd.DataFrame({"article_id": article_ids}, dtype="object"))
    try:
        rows = conn.execute(
            f"""
            SELECT r.article_id, min(r.language || '/' || r.country) FROM {RAW_ARTICLES} r JOIN _ids USING (article_id)
            WHERE NOT (r.country = ? AND r.language = ?) GROUP BY r.article_id
            """,
            [partition.country, partition.language],
        ).fetchall()
    finally:
        conn.unregister("_ids")
    return dict(rows)


def cross_partition_id_collisions(conn: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple[str, str]]:
    """Article ids that more than one partition of raw_articles holds, with the partitions (at most `limit`)."""
    if not RAW_ARTICLES.exists(conn):
        return []
    return conn.execute(
        f"""
        SELECT article_id, string_agg(DISTINCT language || '/' || country, ', ' ORDER BY language || '/' || country)
        FROM {RAW_ARTICLES} GROUP BY article_id HAVING count(DISTINCT (country, language)) > 1
        ORDER BY article_id LIMIT ?
        """,
        [limit],
    ).fetchall()


def licenses_of(conn: duckdb.DuckDBPyConnection, articles: Table) -> dict[str, str]:
    """The source licence of each article of `articles`, by article id ('unknown' where neither the
    record nor the source gave one)."""
    if not RAW_ARTICLES.exists(conn):
        return {}
    license_of = "coalesce(nullif(trim(r.license), ''), 'unknown')" if "license" in RAW_ARTICLES.columns(conn) else "'unknown'"
    rows = conn.execute(
        f"""
        SELECT a.article_id, {license_of} FROM (SELECT DISTINCT country, language, article_id FROM {articles}) a
        LEFT JOIN {RAW_ARTICLES} r USING (country, language, article_id)
        """
    ).fetchall()
    return {str(article_id): str(name) for article_id, name in rows}


# --- sample and annotation ----------------------------------------------------------------------

# Provenance columns of the upstream tables, NULL where a table is absent (e.g. a hand-made sample).
_PROVENANCE_JOINS = {
    # text_en: the article's English text (source English or translation), which entities are checked against.
    TRANSLATED_ARTICLES: ("t", ("translation_backend", "translation_model", "text_en")),
    ARTICLE_SUMMARIES: ("s", ("summary_backend", "summary_model", "prompt_version")),
}


def sample_with_provenance(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The diversified sample with the backends and models that translated and summarised each article."""
    columns, joins = [], []
    for table, (alias, names) in _PROVENANCE_JOINS.items():
        present = table.exists(conn)
        columns += [f"{alias}.{n}" if present else f"NULL AS {n}" for n in names]
        if present:
            joins.append(f"LEFT JOIN {table} {alias} USING (country, language, article_id)")
    return conn.execute(
        f"""
        SELECT d.article_id, d.country, d.language, d.topic_id, d.topic_label, d.pub_date, d.summary, {", ".join(columns)}
        FROM {DIVERSIFIED_SAMPLE} d {" ".join(joins)}
        ORDER BY d.sample_rank, d.article_id
        """
    ).df()


def entity_types(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The entity types the last annotation used, in schema order."""
    if not ANNOTATION_ENTITY_TYPES.exists(conn):
        return []
    rows = conn.execute(f"SELECT entity_type FROM {ANNOTATION_ENTITY_TYPES} ORDER BY position").fetchall()
    return [name for (name,) in rows]


# --- models -------------------------------------------------------------------------------------


def model_evaluations_of(conn: duckdb.DuckDBPyConnection, variant: str, model_version: str) -> pd.DataFrame:
    if not MODEL_EVALUATIONS.exists(conn):
        return pd.DataFrame()
    return conn.execute(
        f"SELECT * FROM {MODEL_EVALUATIONS} WHERE variant = ? AND model_version = ? ORDER BY benchmark, model",
        [variant, model_version],
    ).df()
