"""Property-based tests of ingest: whatever a JSONL or Parquet file holds, every record read ends
accepted or rejected with a known reason, nothing raises, accepted + rejected = read, and what is
accepted can be stored and used downstream (DuckDB, pandas timestamps)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asknews_assets.ingest.articles import IngestLimits, RejectReason, article_rows, ingest_partition, reject_rows
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse import tables
from asknews_assets_tests.support.data.strategies import jsonl_lines, parquet_tables, records

MX_ES = ArticlePartition("MX", "es")
LIMITS = IngestLimits(max_text_chars=50_000, max_record_bytes=100_000)
# Few examples per test: the suite stays fast; benchmarks/fuzz_ingest.py runs many more.
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _assert_accounted(result, read: int) -> None:
    assert result.read == read
    assert len(result.accepted) + len(result.rejected) == result.read
    assert all(isinstance(r.reason, RejectReason) and r.detail is not None for r in result.rejected)
    # What was accepted (and every reject) can be stored, and its date is a pandas timestamp.
    conn = duckdb.connect()
    try:
        tables.RAW_ARTICLES.replace_partition(conn, MX_ES, article_rows(result.accepted))
        tables.RAW_ARTICLE_REJECTS.replace_partition(conn, MX_ES, [{"country": "MX", "language": "es", **r} for r in reject_rows(result.rejected)])
        assert conn.execute(f"SELECT count(*) FROM {tables.RAW_ARTICLES}").fetchone()[0] == len(result.accepted)
    finally:
        conn.close()
    for article in result.accepted:
        assert pd.Timestamp(article.pub_date).year >= 1900
        assert len(article.text) <= LIMITS.max_text_chars


@PROPERTY
@given(st.lists(jsonl_lines(), min_size=1, max_size=12))
def test_jsonl_lines_are_accepted_or_rejected(tmp_path_factory, lines):
    root = tmp_path_factory.mktemp("corpus")
    (root / "es").mkdir()
    (root / "es" / "MX.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    result = ingest_partition(FileNewsSource(directory=str(root)).read_partition(MX_ES, LIMITS.max_record_bytes), MX_ES, LIMITS)
    _assert_accounted(result, read=sum(1 for line in lines if line.strip()))


@PROPERTY
@given(parquet_tables())
def test_parquet_rows_are_accepted_or_rejected(tmp_path_factory, table):
    root = tmp_path_factory.mktemp("corpus")
    (root / "es").mkdir()
    pq.write_table(table, root / "es" / "MX.parquet")
    result = ingest_partition(FileNewsSource(directory=str(root)).read_partition(MX_ES), MX_ES, LIMITS)
    _assert_accounted(result, read=table.num_rows)


@PROPERTY
@given(st.lists(records(), min_size=1, max_size=12))
def test_parsed_records_are_accepted_or_rejected(records):
    """Mappings, as an API source delivers them: the same outcome, the same size limit."""
    from asknews_assets.ingest.articles import SourceRecord

    result = ingest_partition([SourceRecord(f"api#{i}", r) for i, r in enumerate(records)], MX_ES, LIMITS)
    _assert_accounted(result, read=len(records))
