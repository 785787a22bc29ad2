"""What raw_articles writes and reports for a partition, as plain functions (no materialisation)."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from asknews_assets.ingest.articles import RejectReason, SourceRecord, ingest_partition
from asknews_assets.ingest.artefacts import TRUNCATED
from asknews_assets.ingest.partition import IngestReport, partition_tables
from asknews_assets.partitions import ArticlePartition
from asknews_assets_tests.support.data.corpus import article

MX_ES = ArticlePartition("MX", "es")
AT = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)


def _ingest(*records: dict | str):
    return ingest_partition([SourceRecord(f"es/MX.jsonl:{n}", r) for n, r in enumerate(records, 1)], MX_ES)


def test_rows_of_the_three_raw_tables_with_the_ids_other_partitions_hold_rejected():
    result = _ingest(article("x"), article("y", license="cc-by-4.0"), "{not json")
    written = partition_tables(result, MX_ES, {"x": "es/AR"}, source_backend="files", run_id="r1", materialized_at=AT)

    assert [row["article_id"] for row in written.articles] == ["y"]
    assert written.articles[0]["license"] == "cc-by-4.0" and isinstance(written.articles[0]["artefacts"], list)
    assert [(row["country"], row["language"], row["reason"]) for row in written.rejects] == [
        ("MX", "es", RejectReason.INVALID_JSON.value),
        ("MX", "es", RejectReason.ID_IN_OTHER_PARTITION.value),
    ]
    assert written.stats == {
        "country": "MX", "language": "es", "source_backend": "files", "read": 3, "accepted": 1, "rejected": 2,
        "run_id": "r1", "materialized_at": AT,
    }  # fmt: skip
    assert written.ids_held_elsewhere == 1


def test_a_partition_no_other_holds_keeps_every_accepted_article_and_is_stamped_now():
    written = partition_tables(_ingest(article("x")), MX_ES, {}, source_backend="files", run_id="r1")
    assert (written.stats["accepted"], written.stats["rejected"], written.ids_held_elsewhere) == (1, 0, 0)
    assert written.stats["materialized_at"].tzinfo is not None


def test_the_report_sums_partitions_and_counts_reasons_artefacts_licences():
    ar = ArticlePartition("AR", "es")
    report = IngestReport()
    mx = partition_tables(
        _ingest(article("a", text="Una nota cortada sobre el agua en Monterrey... [+120 chars]"), article("a")),
        MX_ES, {}, source_backend="files", run_id="r",
    )  # fmt: skip
    report.add(mx, "fp-mx")
    argentina = ingest_partition([SourceRecord("es/AR.jsonl:1", article("b", "AR", license="cc0"))], ar)
    report.add(partition_tables(argentina, ar, {}, source_backend="files", run_id="r"), "fp-ar")

    assert report.partitions == [
        {"partition": "es-MX", "read": 2, "accepted": 1, "rejected": 1},
        {"partition": "es-AR", "read": 1, "accepted": 1, "rejected": 0},
    ]
    assert report.totals == {"read": 3, "accepted": 2, "rejected": 1}
    assert report.rejects_by_reason == {RejectReason.DUPLICATE_ID.value: 1}
    assert report.licenses == {"unknown": 1, "cc0": 1}
    assert report.truncated == 1 and report.artefacts == {TRUNCATED: 1}
    assert report.fingerprints == {"es-MX": "fp-mx", "es-AR": "fp-ar"}
    assert [(p["partition"], p["article_id"], p["pub_date"]) for p in report.preview] == [
        ("es-MX", "a", "2024-03-01"), ("es-AR", "b", "2024-03-01"),
    ]  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(st.sampled_from("abcdef"), max_size=8), held=st.sets(st.sampled_from("abcdef")))
def test_whatever_other_partitions_hold_every_record_read_is_written_once(ids, held):
    written = partition_tables(
        _ingest(*(article(i) for i in ids)), MX_ES, {i: "es/AR" for i in held}, source_backend="files", run_id="r"
    )
    stats = written.stats
    assert stats["read"] == len(ids) == stats["accepted"] + stats["rejected"]
    assert (len(written.articles), len(written.rejects)) == (stats["accepted"], stats["rejected"])
    assert not {row["article_id"] for row in written.articles} & held
    assert written.ids_held_elsewhere == len(set(ids) & held)
