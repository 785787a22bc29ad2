"""Stage coverage: the dataset build sees partitions that were ingested but not (or no longer)
enriched, records them, and its blocking check refuses such gaps unless a partial build is accepted."""

from __future__ import annotations

import pandas as pd
import pytest
from dagster import AssetCheckSeverity, materialize

from asknews_assets.assets.embeddings import article_embeddings
from asknews_assets.assets.summaries import article_summaries
from asknews_assets.assets.ingest import raw_articles
from asknews_assets.assets.supply import article_supply
from asknews_assets.assets.topics import topic_clusters
from asknews_assets.assets.translation import translated_articles
from asknews_assets.checks.supply import article_supply_complete
from asknews_assets.resources.ingest import Unroutable
from asknews_assets.supply import COMPLETE, partition_gaps, stage_counts, supply_by_language, supply_report
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings
from asknews_assets_tests.support.data.corpus import article, write_corpus

PER_PARTITION = [raw_articles, translated_articles, article_summaries, article_embeddings]
ROW = {"country": "MX", "language": "es", "read": 5, "accepted": 4, "rejected": 1, "translated": 3,
       "translation_failed": 1, "summarised": 3, "summary_failed": 0, "embedded": 3}  # fmt: skip
ALL_STAGES = {"raw_articles": {"es-MX": 1}, "translated_articles": {"es-MX": 2}, "article_summaries": {"es-MX": 3},
              "article_embeddings": {"es-MX": 4}}  # fmt: skip


def test_a_partition_that_reached_every_stage_with_failures_recorded_has_no_gap():
    assert partition_gaps(ROW, ALL_STAGES) == []
    assert partition_gaps(ROW, None) == []  # without an instance only the counts are compared


def test_missing_stale_and_lost_articles_are_named():
    missing = {**ALL_STAGES, "article_summaries": {}, "article_embeddings": {}}
    assert partition_gaps(ROW, missing) == ["summarised: missing"]
    stale = {**ALL_STAGES, "raw_articles": {"es-MX": 9}}  # ingested again after its translation
    assert partition_gaps(ROW, stale) == ["translated: stale (raw_articles is newer)"]
    lost = {**ROW, "embedded": 1}
    assert partition_gaps(lost, ALL_STAGES) == ["embedded: +2 articles unaccounted (of 3)"]


def test_supply_by_language_adds_unroutable_records_to_what_was_read():
    coverage = pd.DataFrame([{**ROW, "status": COMPLETE}])
    unroutable = pd.DataFrame([{"location": "nl/NL.jsonl", "language": "nl", "reason": "x", "records": 7},
                               {"location": "es/mexico.jsonl", "language": "es", "reason": "y", "records": 2}])  # fmt: skip
    supply = supply_by_language(coverage, unroutable)
    assert supply["es"] == {"read": 7, "accepted": 4, "rejected": 1, "unroutable": 2, "untranslated": 1, "embedded": 3}
    assert supply["nl"] == {"read": 7, "accepted": 0, "rejected": 0, "unroutable": 7, "untranslated": 0, "embedded": 0}



def test_the_supply_report_accounts_for_the_whole_source():
    coverage = pd.DataFrame([{**ROW, "status": COMPLETE}, {**ROW, "country": "AR", "embedded": 1, "status": "embedded: lost"}])
    report = supply_report(coverage, [Unroutable("nl/NL.jsonl", "nl", "no such language", 7)])
    assert report.unroutable == [{"location": "nl/NL.jsonl", "language": "nl", "reason": "no such language", "records": 7}]
    assert report.figures == {
        "read": 17, "accepted": 8, "rejected": 2, "unroutable": 7, "unroutable_files": 1, "translated": 6,
        "translation_failed": 2, "summarised": 6, "summary_failed": 0, "embedded": 4,
    }  # fmt: skip
    assert (report.partitions, report.partitions_with_gaps) == (2, 1)
    assert [(row["language"], row["read"], row["unroutable"]) for row in report.by_language] == [("es", 10, 0), ("nl", 7, 7)]
    nothing = supply_report(coverage.iloc[:0], [])  # an empty warehouse and a source that routes every file
    assert nothing.unroutable == [] and nothing.by_language == [] and nothing.figures["read"] == 0

@pytest.fixture
def resources(tmp_path, warehouse):
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "es/MX.jsonl": [article(f"mx-{n}", text=f"El artículo {n} habla del agua en Monterrey y de la sequía.") for n in range(3)],
            "es/AR.jsonl": [article(f"ar-{n}", "AR", text=f"La nota {n} trata de la inflación en Rosario.") for n in range(2)],
            "nl/NL.jsonl": [article("nl-1", "NL", "nl")],  # a language the platform does not have
        },
    )
    local = build_resources(Settings.from_env(deployment="local"))
    return {**local, "warehouse": warehouse, "source": corpus}


def _supply(instance, resources, **config):
    return materialize(
        [article_supply, article_supply_complete, topic_clusters],
        instance=instance,
        resources=resources,
        run_config={"ops": {"article_supply": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def test_an_ingested_but_unenriched_partition_blocks_the_dataset_build(instance, resources, warehouse):
    """Regression: partitions ingested later but never enriched passed the dataset build silently."""
    instance.add_dynamic_partitions("article_pairs", ["es-MX", "es-AR"])
    assert materialize(PER_PARTITION, partition_key="es-MX", instance=instance, resources=resources).success
    assert materialize([raw_articles], partition_key="es-AR", instance=instance, resources=resources).success

    result = _supply(instance, resources)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert "1 of 2 partitions have gaps" in check.description
    assert not result.asset_materializations_for_node("topic_clusters")  # blocked: nothing built on the gap
    with warehouse.get_connection() as conn:
        coverage = conn.execute("SELECT country, accepted, embedded, status FROM stage_coverage ORDER BY 1").fetchall()
        unroutable = conn.execute("SELECT location, records FROM source_unroutable").fetchall()
    assert coverage == [("AR", 2, 0, "translated: missing"), ("MX", 3, 3, COMPLETE)]
    assert [(loc.rsplit("/", 2)[-2:], n) for loc, n in unroutable] == [(["nl", "NL.jsonl"], 1)]
    [supply] = result.asset_materializations_for_node("article_supply")
    metadata = {k: v.value for k, v in supply.metadata.items()}
    assert (metadata["read"], metadata["accepted"], metadata["unroutable"], metadata["embedded"]) == (6, 5, 1, 3)
    assert metadata["read"] == metadata["accepted"] + metadata["rejected"] + metadata["unroutable"]
    assert "translated: missing" in metadata["coverage_by_partition"]

    # Accepting a partial build explicitly: the gap stays recorded, as a warning, and the build goes on.
    accepted = _supply(instance, resources, accept_partial_build=True)
    [check] = accepted.get_asset_check_evaluations()
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert accepted.asset_materializations_for_node("topic_clusters")
    [topics] = accepted.asset_materializations_for_node("topic_clusters")
    assert topics.metadata["partitions_with_gaps"].value == 1  # the dataset-wide asset records the gap too


def test_re_ingesting_after_the_later_stages_makes_the_partition_stale(instance, resources, monkeypatch):
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    assert materialize(PER_PARTITION, partition_key="es-MX", instance=instance, resources=resources).success
    assert materialize([raw_articles], partition_key="es-MX", instance=instance, resources=resources).success
    monkeypatch.setenv("ASKNEWS_ACCEPT_PARTIAL_BUILD", "0")
    [check] = _supply(instance, resources).get_asset_check_evaluations()
    assert not check.passed and "stale" in check.metadata["gaps"].value
    monkeypatch.setenv("ASKNEWS_ACCEPT_PARTIAL_BUILD", "1")  # the documented setting, from the environment
    [check] = _supply(instance, resources).get_asset_check_evaluations()
    assert check.severity == AssetCheckSeverity.WARN and check.metadata["partial_build_accepted"].value is True


def test_stage_counts_of_an_empty_warehouse(warehouse):
    with warehouse.get_connection() as conn:
        assert stage_counts(conn).empty


def test_a_source_of_unsupported_languages_only_is_named_by_the_gate(tmp_path, instance, warehouse):
    """Regression: the dataset build failed with 'table article_embeddings does not exist yet'."""
    source = write_corpus(tmp_path / "corpus", {"nl/NL.jsonl": [article("n1", "NL", "nl")], "zh/CN.jsonl": [article("z1", "CN", "zh")]})
    result = _supply(instance, {**build_resources(Settings.from_env(deployment="local")), "warehouse": warehouse, "source": source})
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert check.description == (
        "no partition has been ingested: the source's 2 files are all outside the platform's languages or layout (source_unroutable)"
    )
    assert not result.asset_materializations_for_node("topic_clusters")
