"""The raw layer as a plain function: every reject reason, normalisation and deduplication."""

import json
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from asknews_assets.ingest.articles import IngestLimits, RejectReason, SourceRecord, ingest_partition
from asknews_assets.ingest.normalize import canonical_url, clean_text, parse_pub_date
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets_tests.support.data.corpus import article, write_corpus

MX_ES = ArticlePartition("MX", "es")


def test_clean_text_strips_markup_and_folds_whitespace():
    raw = "<div><p>Hola&nbsp;&amp; <b>adiós</b></p><script>alert(1)</script><p>Segundo\u200b   párrafo</p></div>"
    assert clean_text(raw) == "Hola & adiós\nSegundo párrafo"
    assert clean_text("Cafe\u0301") == "Café"  # NFC
    assert clean_text("a < b and c > d") == "a < b and c > d"  # not markup


def test_canonical_url_drops_tracking_and_fragments():
    assert canonical_url("HTTPS://WWW.News.Example/a/b/?utm_source=x&id=2&fbclid=1#top") == "https://news.example/a/b?id=2"
    assert canonical_url("https://news.example/a/b") == canonical_url("https://news.example/a/b/")


def test_dates_are_utc():
    assert parse_pub_date("2024-03-01T10:00:00-06:00") == datetime(2024, 3, 1, 16, tzinfo=timezone.utc)
    assert parse_pub_date("2024-03-01T10:00:00Z") == datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
    assert parse_pub_date("2024-03-01").tzinfo == timezone.utc


def test_every_reject_reason_from_a_malformed_file(tmp_path):
    nested = "[" * 100_000 + "]" * 100_000
    lines = [
        article("ok-1"),
        article("ok-2", article_url="https://news.example/ok-2?utm_medium=social", title="<h1>Título</h1>"),
        '{"article_id": "broken", ',  # invalid JSON
        nested,  # nesting deeper than the parser allows
        "[1, 2, 3]",  # not an object
        {k: v for k, v in article("no-text").items() if k != "text"},
        article("bad-type", text=["not", "a", "string"]),
        article("bad-date", pub_date="first of March"),
        article("empty", text="<p> &nbsp; </p>"),
        article("long", text="palabra " * 20),
        article("lang", language="xx"),
        article("country", country="ZZ"),
        article("other-lang", language="pt"),
        article("other-country", country="AR"),
        article("ok-1", article_url="https://news.example/again", text="Otro texto distinto."),
        article("dup-url", article_url="https://www.news.example/ok-2/#comments", text="Texto nuevo."),
        article("dup-text", text="  EL ARTÍCULO ok-1 cuenta una historia distinta sobre la ciudad de Monterrey. "),
        b'{"article_id": "\xff\xfe garbage"}',
        "x" * 2_000,
        article("typo-year", pub_date="0024-03-01T10:00:00Z"),
        article("edge-offset", pub_date="0001-01-01T00:00:00+05:00"),  # overflows when moved to UTC
        article("placeholder", pub_date="9999-12-31"),
        article("bad-port", article_url="https://news.example:99999/x"),
        article("bad-ipv6", article_url="https://[::1/x"),
        article("long-eng", eng_text="word " * 30),
        json.dumps(article("surrogate-\ud800"), ensure_ascii=True),  # a lone surrogate, escaped
        json.dumps(article("surrogate-text", text="Texto \udfff roto."), ensure_ascii=True),
    ]
    source = write_corpus(tmp_path, {"es/MX.jsonl": lines})
    result = ingest_partition(source.read_partition(MX_ES), MX_ES, IngestLimits(max_text_chars=100, max_record_bytes=1_500))

    assert result.read == len(lines)
    assert len(result.accepted) + len(result.rejected) == result.read
    assert [a.article_id for a in result.accepted] == ["ok-1", "ok-2"]
    by_location = {r.source_location: r.reason for r in result.rejected}
    expected = [
        RejectReason.INVALID_JSON,
        RejectReason.RECORD_TOO_LARGE,
        RejectReason.NOT_AN_OBJECT,
        RejectReason.MISSING_FIELD,
        RejectReason.INVALID_FIELD,
        RejectReason.INVALID_DATE,
        RejectReason.EMPTY_TEXT,
        RejectReason.TEXT_TOO_LONG,
        RejectReason.UNKNOWN_LANGUAGE,
        RejectReason.INVALID_COUNTRY,
        RejectReason.LANGUAGE_MISMATCH,
        RejectReason.COUNTRY_MISMATCH,
        RejectReason.DUPLICATE_ID,
        RejectReason.DUPLICATE_URL,
        RejectReason.DUPLICATE_TEXT,
        RejectReason.INVALID_ENCODING,
        RejectReason.RECORD_TOO_LARGE,
        RejectReason.DATE_OUT_OF_RANGE,
        RejectReason.DATE_OUT_OF_RANGE,
        RejectReason.DATE_OUT_OF_RANGE,
        RejectReason.INVALID_URL,
        RejectReason.INVALID_URL,
        RejectReason.FIELD_TOO_LONG,
        RejectReason.INVALID_ENCODING,
        RejectReason.INVALID_ENCODING,
    ]
    assert [by_location[f"es/MX.jsonl:{n}"] for n in range(3, len(lines) + 1)] == expected
    # The other reasons need a Parquet file, another partition or a failing validator: tested below.
    elsewhere = {RejectReason.UNREADABLE_FILE, RejectReason.ID_IN_OTHER_PARTITION, RejectReason.UNUSABLE_RECORD}
    assert set(RejectReason) == set(expected) | elsewhere
    assert all(len(r.excerpt) <= 300 for r in result.rejected)
    assert result.rejects_by_reason()["record too large"] == 2


def test_deeply_nested_json_within_size_limit_is_invalid_json():
    record = SourceRecord("x:1", "[" * 50_000 + "]" * 50_000)
    result = ingest_partition([record], MX_ES)
    assert [r.reason for r in result.rejected] == [RejectReason.INVALID_JSON]


def test_accepted_article_is_normalised(tmp_path):
    source = write_corpus(
        tmp_path,
        {"es/MX.jsonl": [article("a", country=" mx ", language="ES", title="<b>Hola</b> &amp; más", article_url="https://www.news.example/a/?utm_source=x")]},
    )
    (accepted,) = ingest_partition(source.read_partition(MX_ES), MX_ES).accepted
    assert (accepted.country, accepted.language, accepted.title) == ("MX", "es", "Hola & más")
    assert accepted.canonical_url == "https://news.example/a"
    assert accepted.pub_date == datetime(2024, 3, 1, 16, tzinfo=timezone.utc)
    assert accepted.source_location == "es/MX.jsonl:1"


def test_parquet_files_are_read_like_jsonl(tmp_path):
    rows = [article("p1"), article("p2", pub_date=None)]
    table = pa.Table.from_pylist([{**rows[0], "pub_date": datetime(2024, 3, 2, tzinfo=timezone.utc)}, rows[1]])
    (tmp_path / "es").mkdir()
    pq.write_table(table, tmp_path / "es" / "MX.parquet")
    source = FileNewsSource(directory=str(tmp_path))
    result = ingest_partition(source.read_partition(MX_ES), MX_ES)
    assert [a.article_id for a in result.accepted] == ["p1"]
    assert [(r.source_location, r.reason) for r in result.rejected] == [("es/MX.parquet#row2", RejectReason.MISSING_FIELD)]


def test_source_lists_only_valid_partitions(tmp_path):
    source = write_corpus(
        tmp_path,
        {"es/MX.jsonl": [article("a")], "en/US.jsonl": [article("b", "US", "en")], "xx/MX.jsonl": [], "es/mexico.jsonl": []},
    )
    (tmp_path / "es" / "notes.txt").write_text("ignored")
    assert [str(p) for p in source.list_partitions()] == ["es-MX", "en-US"]
    assert sorted(p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1] for p in source.unroutable_files()) == [
        "es/mexico.jsonl",
        "xx/MX.jsonl",
    ]
    before = source.fingerprint(MX_ES)
    assert before == source.fingerprint(MX_ES)
    write_corpus(tmp_path, {"es/MX.jsonl": [article("a"), article("c")]})
    assert source.fingerprint(MX_ES) != before


def test_missing_source_folder_names_the_setting(tmp_path):
    source = write_corpus(tmp_path / "nowhere", {})
    with pytest.raises(FileNotFoundError, match="ASKNEWS_SOURCE_DIR"):
        source.list_partitions()


def test_json_line_payload_round_trip():
    record = SourceRecord("x:1", json.dumps(article("a")).encode())
    assert ingest_partition([record], MX_ES).accepted[0].article_id == "a"


def test_symlinks_are_never_followed_out_of_the_source_folder(tmp_path):
    outside = tmp_path / "outside.jsonl"
    outside.write_text(json.dumps(article("secret")) + "\n")
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("a")]})
    (tmp_path / "corpus" / "es" / "AR.jsonl").symlink_to(outside)
    (tmp_path / "corpus" / "es" / "MX.leak.jsonl").symlink_to(outside)
    assert [str(p) for p in source.list_partitions()] == ["es-MX"]
    assert [a.article_id for a in ingest_partition(source.read_partition(MX_ES), MX_ES).accepted] == ["a"]
    assert len(source.unroutable_files()) == 2


def test_identifiers_with_control_characters_are_rejected():
    records = [SourceRecord("x:1", json.dumps(article("a\x00b"))), SourceRecord("x:2", json.dumps(article("c" * 3000)))]
    result = ingest_partition(records, MX_ES)
    assert [(r.reason, r.detail.split(" ")[0]) for r in result.rejected] == [
        (RejectReason.INVALID_FIELD, "article_id"),
        (RejectReason.INVALID_FIELD, "article_id"),
    ]


def test_an_over_long_line_is_never_held_whole(tmp_path):
    """A 64 MB line under a 1 MB limit: rejected by size, read in bounded chunks (peak memory far
    below the line's size), and the lines after it are still read."""
    import tracemalloc

    path = tmp_path / "es" / "MX.jsonl"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.write(b'{"text": "' + b"a" * (64 << 20) + b'"}\n')
        handle.write(json.dumps(article("after")).encode() + b"\n")
    source = FileNewsSource(directory=str(tmp_path))
    tracemalloc.start()
    try:
        result = ingest_partition(source.read_partition(MX_ES, 1 << 20), MX_ES, IngestLimits(max_record_bytes=1 << 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.reason for r in result.rejected] == [RejectReason.RECORD_TOO_LARGE]
    assert result.rejected[0].detail.startswith(f"{(64 << 20) + 13} bytes")
    assert [a.article_id for a in result.accepted] == ["after"]
    assert peak < 8 << 20


def test_parquet_rows_get_the_record_size_limit_and_a_corrupt_file_is_one_reject(tmp_path):
    (tmp_path / "es").mkdir()
    rows = [article("small"), article("big", text="palabra " * 5_000)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "es" / "MX.parquet")
    (tmp_path / "es" / "MX.bad.parquet").write_bytes(b"not a parquet file at all")
    source = FileNewsSource(directory=str(tmp_path))
    result = ingest_partition(source.read_partition(MX_ES), MX_ES, IngestLimits(max_record_bytes=10_000))
    assert [a.article_id for a in result.accepted] == ["small"]
    assert {(r.source_location, r.reason) for r in result.rejected} == {
        ("es/MX.parquet#row2", RejectReason.RECORD_TOO_LARGE),
        ("es/MX.bad.parquet", RejectReason.UNREADABLE_FILE),
    }


def test_an_unexpected_validation_error_is_a_reject_not_a_crash():
    class Hostile(dict):
        def get(self, key, default=None):
            raise RuntimeError(f"cannot read {key}")

    result = ingest_partition([SourceRecord("api#1", Hostile(article_id="x")), SourceRecord("api#2", article("ok"))], MX_ES)
    assert [a.article_id for a in result.accepted] == ["ok"]
    (reject,) = result.rejected
    assert (reject.reason, reject.detail) == (RejectReason.UNUSABLE_RECORD, "RuntimeError: cannot read article_id")


def test_an_id_another_partition_holds_is_rejected_naming_it():
    from asknews_assets.ingest.articles import release_foreign_ids

    result = ingest_partition([SourceRecord("a:1", article("x")), SourceRecord("a:2", article("y"))], MX_ES)
    released = release_foreign_ids(result, {"x": "es/AR"})
    assert [a.article_id for a in released.accepted] == ["y"]
    assert [(r.reason, r.detail) for r in released.rejected] == [(RejectReason.ID_IN_OTHER_PARTITION, "x is in es/AR")]
    assert len(released.accepted) + len(released.rejected) == released.read == 2
