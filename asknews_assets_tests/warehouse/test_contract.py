"""The warehouse contract: one declaration per table, and nothing else names a table."""

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, Failure

from asknews_assets.partitions import ArticlePartition
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.tables import ALL_TABLES, Inputs

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "asknews_assets" / "warehouse" / "tables.py"


def _sources() -> list[Path]:
    assert (ROOT / "asknews_assets").is_dir()
    return [p for folder in ("asknews_assets", "benchmarks") for p in sorted((ROOT / folder).rglob("*.py")) if p != CONTRACT]


def _loose_mentions(text: str, name: str) -> list[str]:
    """SQL that names the table, or an asset key spelled out instead of taken from the declaration.
    (A bare quoted name may be something else: a group, a metadata key, a benchmark.)"""
    sql = re.compile(rf"\b(?:FROM|JOIN|INTO|TABLE|UPDATE)\s+{name}\b")
    literal = re.compile(rf"""AssetKey\(\s*\[?["']{name}["']""")
    return [m.group(0) for m in (*sql.finditer(text), *literal.finditer(text))]


def test_every_table_is_declared_once_with_a_unique_name():
    names = [t.name for t in ALL_TABLES]
    assert len(names) == len(set(names))
    assert {"raw_articles", "article_embeddings", "dataset_splits", "model_evaluations", "llm_cache"} <= set(names)


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_no_module_names_a_table_but_the_contract(table):
    found = {
        str(path.relative_to(ROOT)): hits
        for path in _sources()
        if (hits := _loose_mentions(path.read_text(), table.name))
    }
    assert not found, f"{table.name} named outside warehouse/tables.py: {found}"


def test_the_check_finds_a_loose_name():
    # The scan above must be able to fail: these are the shapes it forbids.
    assert _loose_mentions('conn.execute("SELECT * FROM raw_articles")', "raw_articles")
    assert _loose_mentions('AssetKey("dataset_splits")', "dataset_splits")
    assert not _loose_mentions('f"SELECT * FROM {RAW_ARTICLES}"', "raw_articles")
    assert not _loose_mentions("def raw_articles(context):", "raw_articles")
    assert not _loose_mentions('group_name="topics"', "topics")


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_every_schema_creates_on_duckdb(table):
    conn = duckdb.connect()
    table.replace(conn, [])
    assert table.exists(conn)
    if table.partitioned:
        assert {"country", "language"} <= table.columns(conn)


def test_partition_writes_replace_only_their_partition():
    conn = duckdb.connect()
    fr, be = ArticlePartition("FR", "fr"), ArticlePartition("BE", "fr")
    row = lambda pid, c: {"country": c, "language": "fr", "article_id": pid, "reason": "r"}  # noqa: E731
    tables.TRANSLATION_FAILURES.replace_partition(conn, fr, [row("a", "FR"), row("b", "FR")])
    tables.TRANSLATION_FAILURES.replace_partition(conn, be, [row("c", "BE")])
    tables.TRANSLATION_FAILURES.replace_partition(conn, fr, [row("d", "FR")])
    assert list(tables.TRANSLATION_FAILURES.read(conn, order_by="article_id")["article_id"]) == ["c", "d"]
    assert list(tables.TRANSLATION_FAILURES.read_partition(conn, be)["article_id"]) == ["c"]
    with pytest.raises(TypeError, match="not partitioned"):
        tables.TOPICS.read_partition(conn, fr)


def test_replace_rows_keeps_the_other_keys():
    conn = duckdb.connect()
    row = {"variant": "small", "model_version": "v1", "model_path": "p", "base_model": "b", "data_version": "d",
           "steps": 1, "train_seconds": 1.0, "created_at": pd.Timestamp("2026-01-01", tz="UTC")}  # fmt: skip
    tables.FINETUNED_MODELS.replace_rows(conn, {"variant": "small"}, [row])
    tables.FINETUNED_MODELS.replace_rows(conn, {"variant": "large"}, [{**row, "variant": "large"}])
    tables.FINETUNED_MODELS.replace_rows(conn, {"variant": "small"}, [{**row, "model_version": "v2"}])
    stored = tables.FINETUNED_MODELS.read(conn, order_by="variant")
    assert list(zip(stored["variant"], stored["model_version"])) == [("large", "v1"), ("small", "v2")]


def test_inputs_give_the_graph_edges_and_the_existence_check_from_one_declaration():
    inputs = Inputs(tables.ARTICLE_SUMMARIES, tables.ARTICLE_SUMMARY_STATS, tables.TRANSLATED_ARTICLES)
    # Two tables of one asset are one edge.
    assert inputs.deps == [AssetKey("article_summaries"), AssetKey("translated_articles")]
    conn = duckdb.connect()
    tables.ARTICLE_SUMMARIES.replace(conn, [])
    tables.ARTICLE_SUMMARY_STATS.replace(conn, [])
    with pytest.raises(Failure, match="materialise translated_articles first"):
        inputs.require(conn)


def test_a_table_no_one_asset_writes_is_no_graph_edge():
    with pytest.raises(ValueError, match="llm_cache is written by several assets"):
        Inputs(tables.LLM_CACHE).deps
