"""The discovery sensor on a real temporary instance."""

import json

from dagster import SkipReason, build_sensor_context

from asknews_assets.sensors.discovery import news_source_discovery_sensor, plan_discovery
from asknews_assets_tests.conftest import article, write_corpus


def test_plan_discovery():
    holdings = {"FR|fr": "a", "BE|fr": "b", "FR|en": "c"}
    assert plan_discovery(holdings, {"FR"}, {"FR|fr": "a", "FR|en": "old"}) == (["BE"], ["BE|fr", "FR|en"])
    assert plan_discovery(holdings, {"FR", "BE"}, holdings) == ([], [])


def _evaluate(instance, source, cursor=None):
    context = build_sensor_context(instance=instance, cursor=cursor, resources={"source": source})
    return news_source_discovery_sensor(context)


def test_sensor_registers_new_countries_and_requests_new_pairs(tmp_path, instance):
    root = tmp_path / "corpus"
    source = write_corpus(root, {"fr/FR.jsonl": [article("a", "FR", "fr")], "fr/BE.jsonl": [article("b", "BE", "fr")]})

    first = _evaluate(instance, source)
    (add_request,) = first.dynamic_partitions_requests
    assert add_request.partitions_def_name == "country" and sorted(add_request.partition_keys) == ["BE", "FR"]
    assert sorted(r.partition_key for r in first.run_requests) == ["BE|fr", "FR|fr"]
    assert len({r.run_key for r in first.run_requests}) == 2
    instance.add_dynamic_partitions("country", list(add_request.partition_keys))

    # Nothing new: the sensor skips.
    assert isinstance(_evaluate(instance, source, first.cursor), SkipReason)

    # A new language for a known country, a new country, and a changed file.
    write_corpus(root, {"en/FR.jsonl": [article("c", "FR", "en")], "es/AR.jsonl": [article("d", "AR", "es")]})
    write_corpus(root, {"fr/BE.jsonl": [article("b", "BE", "fr"), article("e", "BE", "fr")]})
    third = _evaluate(instance, source, first.cursor)
    assert [r.partition_keys for r in third.dynamic_partitions_requests] == [["AR"]]
    assert sorted(r.partition_key for r in third.run_requests) == ["AR|es", "BE|fr", "FR|en"]
    assert sorted(json.loads(third.cursor)) == ["AR|es", "BE|fr", "FR|en", "FR|fr"]
    # A changed partition gets a new run key, so it is not deduplicated away by the daemon.
    assert {r.run_key for r in third.run_requests}.isdisjoint({r.run_key for r in first.run_requests})


def test_sensor_reports_files_no_partition_reads(tmp_path, instance, caplog):
    root = tmp_path / "corpus"
    source = write_corpus(
        root,
        {
            "fr/FR.jsonl": [article("a", "FR", "fr")],
            "nl/NL.jsonl": [article("n1", "NL", "nl"), article("n2", "NL", "nl")],  # a language outside the 12
            "en/wire_feed.jsonl": [article("w", "US", "en")],  # not a country code
        },
    )
    first = _evaluate(instance, source)
    assert [r.partition_key for r in first.run_requests] == ["FR|fr"]
    instance.add_dynamic_partitions("country", ["FR"])
    skipped = _evaluate(instance, source, first.cursor)
    assert isinstance(skipped, SkipReason)
    assert "2 source files (3 records) are not read" in skipped.skip_message
    assert "nl/NL.jsonl (2 records): language 'nl' is not one of the platform's languages" in skipped.skip_message
    assert "wire_feed.jsonl (1 records): 'wire_feed' is not an ISO 3166-1 alpha-2 country code" in skipped.skip_message
