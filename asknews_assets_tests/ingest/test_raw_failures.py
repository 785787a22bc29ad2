"""raw_articles on the real path with records and faults that used to stop a partition or hide their
cause: each bad record is a reject with a reason, deterministic errors fail once without retries,
an article id belongs to one partition, and a full disk is named as such."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import DagsterEventType, Failure, materialize

from asknews_assets.assets.ingest import raw_articles, without_retry_unless_transient
from asknews_assets.assets.topics import topic_clusters
from asknews_assets.checks.ingest import raw_article_ids_unique_across_partitions, raw_articles_accounted, raw_articles_unique
from asknews_assets.ingest.articles import SourceRecord
from asknews_assets.partitions import ArticlePartition
from asknews_assets.warehouse import resource as warehouse_module
from asknews_assets.resources.ingest import NewsSource
from asknews_assets.resources.topics import KeywordTopicLabeler
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets_tests.support.data.corpus import article, write_corpus

CHECKS = [raw_articles_accounted, raw_articles_unique, raw_article_ids_unique_across_partitions]


def _materialize(source, warehouse, instance, key="es-MX", **config):
    return materialize(
        [raw_articles, *CHECKS],
        partition_key=key,
        resources={"source": source, "warehouse": warehouse},
        instance=instance,
        run_config={"ops": {"raw_articles": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def _rows(warehouse, sql):
    with warehouse.get_connection() as conn:
        return conn.execute(sql).fetchall()


def _step_events(result, kind: DagsterEventType) -> list:
    return [e for e in result.all_events if e.event_type == kind]


def test_records_that_used_to_fail_the_step_are_rejects(tmp_path, warehouse, instance):
    """Class 1 and 2 on the real path: dates pandas cannot hold, surrogates, broken URLs, over-long
    fields in JSONL and Parquet, a corrupt Parquet file; the step succeeds and every record is accounted."""
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    lines = [
        article("ok"),
        article("year-0024", pub_date="0024-03-01T10:00:00Z"),
        article("year-9999", pub_date="9999-12-31T23:59:59-14:00"),
        json.dumps(article("lone-\ud800"), ensure_ascii=True),
        article("port", article_url="https://news.example:70000/x"),
        article("ipv6", article_url="http://[fe80::1/x"),
        article("long-title", title="t" * 2_001),
        article("long-source", source_id="s" * 2_001),
        "x" * 9_000,  # over the line limit below: read in chunks, rejected by size
    ]
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": lines})
    table = pa.Table.from_pylist([article("pq-ok", text="Otro texto de Parquet."), article("pq-huge", text="palabra " * 600)])
    pq.write_table(table, tmp_path / "corpus" / "es" / "MX.wire.parquet")
    (tmp_path / "corpus" / "es" / "MX.broken.parquet").write_bytes(b"PAR1 this is not parquet PAR1")

    result = _materialize(source, warehouse, instance, max_record_bytes=4_000)
    assert result.success
    assert len(_step_events(result, DagsterEventType.STEP_UP_FOR_RETRY)) == 0
    reasons = dict(_rows(warehouse, "SELECT source_location, reason FROM raw_article_rejects"))
    assert reasons == {
        "es/MX.jsonl:2": "date out of range",
        "es/MX.jsonl:3": "date out of range",
        "es/MX.jsonl:4": "invalid encoding",
        "es/MX.jsonl:5": "invalid URL",
        "es/MX.jsonl:6": "invalid URL",
        "es/MX.jsonl:7": "field too long",
        "es/MX.jsonl:8": "field too long",
        "es/MX.jsonl:9": "record too large",
        "es/MX.wire.parquet#row2": "record too large",
        "es/MX.broken.parquet": "unreadable file",
    }
    assert sorted(_rows(warehouse, "SELECT article_id FROM raw_articles")) == [("ok",), ("pq-ok",)]
    assert _rows(warehouse, "SELECT read, accepted, rejected FROM raw_ingest_stats") == [(12, 2, 10)]
    assert all(e.passed for e in result.get_asset_check_evaluations())


class BrokenSource(NewsSource):
    """A source whose reading fails with `error` ('ValueError' or 'ConnectionError'), quoting a secret."""

    error: str
    secret: str = ""

    @property
    def backend(self) -> str:
        return "broken"

    def fingerprint(self, partition: ArticlePartition) -> str:
        return "unchanged"

    def read_partition(self, partition: ArticlePartition, max_record_bytes: int | None = None) -> Iterator[SourceRecord]:
        yield SourceRecord("x:1", json.dumps(article("a")))
        raise {"ValueError": ValueError, "ConnectionError": ConnectionError}[self.error](f"server said: Bearer {self.secret}")


def test_a_deterministic_source_error_fails_once_without_retries(warehouse, instance, monkeypatch):
    """Class 3: the retry policy is kept for transient errors; this one fails at once, secret redacted."""
    monkeypatch.setenv("ASKNEWS_API_KEY", "sk-deterministic-0123456789")
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    result = _materialize(BrokenSource(error="ValueError", secret="sk-deterministic-0123456789"), warehouse, instance)
    assert not result.success
    assert len(_step_events(result, DagsterEventType.STEP_UP_FOR_RETRY)) == 0
    (failure,) = _step_events(result, DagsterEventType.STEP_FAILURE)
    message = failure.step_failure_data.error.message
    assert "ValueError: server said: Bearer [redacted]" in message
    assert "sk-deterministic" not in json.dumps(failure.step_failure_data.error.to_string())


@pytest.mark.parametrize(
    ("error", "retried"), [(ConnectionError("reset"), True), (TimeoutError("slow"), True), (ValueError("bad"), False), (OSError(28, "No space left on device"), False)]
)
def test_only_transient_errors_reach_the_retry_policy(error, retried):
    raised = None
    try:
        with without_retry_unless_transient("test"):
            raise error
    except Exception as caught:  # noqa: BLE001
        raised = caught
    if retried:
        assert raised is error
    else:
        assert isinstance(raised, Failure) and raised.allow_retries is False and str(error) in raised.description


def test_an_article_id_belongs_to_one_partition(tmp_path, warehouse, instance):
    """Class 4: the same id with other content in a second partition is rejected there, naming the owner."""
    instance.add_dynamic_partitions("article_pairs", ["es-MX", "es-AR"])
    source = write_corpus(
        tmp_path / "corpus",
        {"es/MX.jsonl": [article("shared"), article("mx-only")], "es/AR.jsonl": [article("shared", "AR", text="Otra nota, otro país."), article("ar-only", "AR")]},
    )
    assert _materialize(source, warehouse, instance, "es-MX").success
    result = _materialize(source, warehouse, instance, "es-AR")
    assert result.success
    assert _rows(warehouse, "SELECT country, article_id FROM raw_articles ORDER BY 1, 2") == [
        ("AR", "ar-only"), ("MX", "mx-only"), ("MX", "shared")
    ]
    assert _rows(warehouse, "SELECT country, reason, detail FROM raw_article_rejects") == [
        ("AR", "article id used by another partition", "shared is in es/MX")
    ]
    assert _rows(warehouse, "SELECT country, read, accepted, rejected FROM raw_ingest_stats ORDER BY 1") == [("AR", 2, 1, 1), ("MX", 2, 2, 0)]
    # Re-materialising the owner keeps the id there: the result does not depend on the order of runs.
    assert _materialize(source, warehouse, instance, "es-MX").success
    assert _rows(warehouse, "SELECT country FROM raw_articles WHERE article_id = 'shared'") == [("MX",)]

    # A collision that got into the table anyway (older code, a hand edit) fails the blocking check,
    # and the first dataset-wide asset refuses to run on it.
    with warehouse.get_connection() as conn:
        conn.execute("INSERT INTO raw_articles (article_id, country, language) VALUES ('mx-only', 'AR', 'es')")
    evaluation = raw_article_ids_unique_across_partitions(warehouse=warehouse)
    assert not evaluation.passed and "mx-only: es/AR, es/MX" in evaluation.metadata["examples"].value
    with warehouse.get_connection() as conn:
        conn.execute("CREATE TABLE article_embeddings (country VARCHAR, language VARCHAR, article_id VARCHAR, embedding FLOAT[4], embedding_model VARCHAR, embedding_dim INTEGER)")
        conn.execute("CREATE TABLE article_summaries (country VARCHAR, language VARCHAR, article_id VARCHAR, summary VARCHAR)")
    topics = materialize([topic_clusters], resources={"warehouse": warehouse, "topic_labeler": KeywordTopicLabeler()}, instance=instance, raise_on_error=False)
    (failure,) = _step_events(topics, DagsterEventType.STEP_FAILURE)
    assert "article ids held by more than one partition" in failure.step_failure_data.error.message


def _first_error(result) -> str:
    (failure,) = _step_events(result, DagsterEventType.STEP_FAILURE)
    return failure.step_failure_data.error.message


def test_a_nearly_full_disk_is_named_before_anything_is_written(tmp_path, warehouse, instance, monkeypatch):
    """Class 11: the first error says "No space left on device" and which setting moves the warehouse."""
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("a")]})
    real = shutil.disk_usage
    monkeypatch.setattr(
        warehouse_module.shutil, "disk_usage", lambda path: real(path)._replace(free=2**20) if "warehouse" in str(path) else real(path)
    )
    result = _materialize(source, warehouse, instance)
    assert not result.success
    assert len(_step_events(result, DagsterEventType.STEP_UP_FOR_RETRY)) == 0
    message = _first_error(result)
    first_line = message.splitlines()[0]
    assert "WarehouseDiskFull: [Errno 28] No space left on device" in first_line and "ASKNEWS_DUCKDB_PATH" in first_line


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A 3 MiB tmpfs (needs root: where it cannot be mounted, the injected variant above still runs)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_disk_that_fills_mid_write_is_named_not_hidden(tmp_path, tiny_disk, instance):
    """Class 11 on a real full disk: the write fails with "No space left on device", not with the
    rollback that follows it ("no transaction is active"), and without retries."""
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    # Random text, which DuckDB cannot compress into the 3 MiB.
    lines = [article(f"a{i}", text=f"Texto {i} " + os.urandom(4_000).hex()) for i in range(1_000)]
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": lines})
    small = Warehouse(database=str(tiny_disk / "warehouse.duckdb"), min_free_mb=0)
    result = _materialize(source, small, instance)
    assert not result.success
    assert len(_step_events(result, DagsterEventType.STEP_UP_FOR_RETRY)) == 0
    message = _first_error(result)
    assert "No space left on device" in message.splitlines()[0]
    assert "no transaction is active" not in message
