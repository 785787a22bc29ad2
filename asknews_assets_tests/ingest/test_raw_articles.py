"""raw_articles materialised with Dagster against a temporary DuckDB file."""

from dagster import materialize

from asknews_assets.assets.ingest import raw_articles
from asknews_assets.checks.ingest import partition_accounting, raw_articles_accounted, raw_articles_unique
from asknews_assets.partitions import ArticlePartition
from asknews_assets_tests.support.data.corpus import article, write_corpus


def _materialize(source, warehouse, instance, key="es-MX"):
    return materialize(
        [raw_articles, raw_articles_accounted, raw_articles_unique],
        partition_key=key,
        resources={"source": source, "warehouse": warehouse},
        instance=instance,
    )


def _table(warehouse, sql):
    with warehouse.get_connection() as conn:
        return conn.execute(sql).fetchall()


def test_partition_is_materialised_with_rejects_and_metadata(tmp_path, warehouse, instance):
    instance.add_dynamic_partitions("article_pairs", ["es-MX", "es-AR"])
    source = write_corpus(
        tmp_path / "corpus",
        {
            "es/MX.jsonl": [article("a"), article("b", text="Texto <i>b</i>"), "not json", article("a")],
            "es/AR.jsonl": [article("c", "AR")],
        },
    )
    result = _materialize(source, warehouse, instance)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("raw_articles")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["read"], metadata["accepted"], metadata["rejected"]) == (4, 2, 2)
    assert metadata["dagster/row_count"] == 2
    assert "invalid JSON" in metadata["rejects_by_reason"] and "duplicate article id" in metadata["rejects_by_reason"]
    assert [r.data["title"] for r in metadata["preview"].records] == ["Titular a", "Titular b"]
    assert metadata["source_fingerprints"] == {"es-MX": source.fingerprint(ArticlePartition("MX", "es"))}
    schema = metadata["dagster/column_schema"]
    assert schema.columns[0].name == "article_id" and not schema.columns[0].constraints.nullable
    assert materialization.partition == "es-MX"

    assert _table(warehouse, "SELECT article_id, text FROM raw_articles ORDER BY 1") == [
        ("a", "El artículo a cuenta una historia distinta sobre la ciudad de Monterrey."),
        ("b", "Texto b"),
    ]
    assert _table(warehouse, "SELECT source_location, reason FROM raw_article_rejects ORDER BY 1") == [
        ("es/MX.jsonl:3", "invalid JSON"),
        ("es/MX.jsonl:4", "duplicate article id"),
    ]
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"raw_articles_accounted": True, "raw_articles_unique": True}


def test_rematerialising_replaces_the_partition_only(tmp_path, warehouse, instance):
    instance.add_dynamic_partitions("article_pairs", ["es-MX", "es-AR"])
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("a"), "oops"], "es/AR.jsonl": [article("c", "AR")]})
    assert _materialize(source, warehouse, instance, "es-AR").success
    assert _materialize(source, warehouse, instance).success
    first = _table(warehouse, "SELECT * EXCLUDE (pub_date) FROM raw_articles ORDER BY article_id")
    assert _materialize(source, warehouse, instance, "es-MX").success
    assert _table(warehouse, "SELECT * EXCLUDE (pub_date) FROM raw_articles ORDER BY article_id") == first
    assert _table(warehouse, "SELECT count(*) FROM raw_article_rejects") == [(1,)]
    assert _table(warehouse, "SELECT country, read, accepted, rejected FROM raw_ingest_stats ORDER BY 1") == [
        ("AR", 1, 1, 0),
        ("MX", 2, 1, 1),
    ]

    # The source changes: the partition follows it, the other partition is untouched.
    write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("z")]})
    assert _materialize(source, warehouse, instance).success
    assert _table(warehouse, "SELECT article_id FROM raw_articles ORDER BY 1") == [("c",), ("z",)]
    assert _table(warehouse, "SELECT count(*) FROM raw_article_rejects") == [(0,)]


def test_check_fails_when_the_table_loses_rows(tmp_path, warehouse, instance):
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("a"), article("b")]})
    assert _materialize(source, warehouse, instance).success
    with warehouse.get_connection() as conn:
        conn.execute("DELETE FROM raw_articles WHERE article_id = 'b'")
    # Dagster 1.13 cannot run a partitioned check without its asset in one run: the check's body.
    evaluation = partition_accounting(warehouse, ArticlePartition("MX", "es"))
    assert evaluation.passed is False
    assert (evaluation.metadata["accepted"].value, evaluation.metadata["stored"].value) == (2, 1)
    missing = partition_accounting(warehouse, ArticlePartition("AR", "es"))
    assert not missing.passed and missing.metadata["error"].value == "raw_ingest_stats holds no row for es-AR"


def test_a_batched_backfill_run_materialises_and_checks_each_partition(tmp_path, warehouse, instance):
    """A backfill run covering several partitions (the multi-run backfill policy) writes each one and
    checks each one, and records each partition's source fingerprint."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    instance.add_dynamic_partitions("article_pairs", ["es-AR", "es-MX"])
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("a"), "oops"], "es/AR.jsonl": [article("c", "AR")]})
    result = materialize(
        [raw_articles, raw_articles_accounted, raw_articles_unique],
        resources={"source": source, "warehouse": warehouse},
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: "es-AR", ASSET_PARTITION_RANGE_END_TAG: "es-MX"},
    )
    assert result.success
    assert sorted(m.partition for m in result.asset_materializations_for_node("raw_articles")) == ["es-AR", "es-MX"]
    assert _table(warehouse, "SELECT country, read, accepted, rejected FROM raw_ingest_stats ORDER BY 1") == [
        ("AR", 1, 1, 0),
        ("MX", 2, 1, 1),
    ]
    (materialization, *_) = result.asset_materializations_for_node("raw_articles")
    assert set(materialization.metadata["source_fingerprints"].value) == {"es-AR", "es-MX"}
    for evaluation in result.get_asset_check_evaluations():
        assert evaluation.passed and evaluation.metadata["partitions_checked"].value == 2, evaluation


def test_a_batched_check_fails_when_one_of_its_partitions_fails(tmp_path, warehouse, instance):
    from types import SimpleNamespace

    from asknews_assets.checks import check_each_partition

    instance.add_dynamic_partitions("article_pairs", ["es-AR", "es-MX"])
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("a")], "es/AR.jsonl": [article("c", "AR")]})
    assert _materialize(source, warehouse, instance, "es-AR").success and _materialize(source, warehouse, instance).success
    with warehouse.get_connection() as conn:
        conn.execute("DELETE FROM raw_articles WHERE country = 'MX'")
    run = SimpleNamespace(partition_keys=["es-AR", "es-MX"])
    result = check_each_partition(run, warehouse, partition_accounting)
    assert not result.passed and result.metadata["failed_partitions"].value == "es-MX"
    rows = {r.data["partition"]: r.data for r in result.metadata["by_partition"].value.records}
    assert rows["es-AR"]["passed"] and (rows["es-MX"]["passed"], rows["es-MX"]["stored"]) == (False, 0)
