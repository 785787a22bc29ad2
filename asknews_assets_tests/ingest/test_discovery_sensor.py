"""The discovery sensor on a real temporary instance."""

import json

from dagster import build_sensor_context, materialize

from asknews_assets.assets.embeddings import article_embeddings
from asknews_assets.assets.summaries import article_summaries
from asknews_assets.assets.ingest import raw_articles
from asknews_assets.assets.translation import translated_articles
from asknews_assets.resources.embeddings import SentenceTransformerEmbedder
from asknews_assets.resources.summaries import ExtractiveSummarizer
from asknews_assets.resources.translation import SourceProvidedTranslator
from asknews_assets.sensors.discovery import news_source_discovery_sensor, plan_discovery
from asknews_assets_tests.support.data.corpus import article, write_corpus


def test_plan_discovery():
    holdings = {"fr-FR": "a", "fr-BE": "b", "en-FR": "c"}
    assert plan_discovery(holdings, {"fr-FR", "en-FR"}, {"fr-FR": "a", "en-FR": "old"}) == (["fr-BE"], ["en-FR", "fr-BE"])
    assert plan_discovery(holdings, set(holdings), holdings) == ([], [])


def _evaluate(instance, source, cursor=None):
    context = build_sensor_context(instance=instance, cursor=cursor, resources={"source": source})
    return news_source_discovery_sensor(context)


def test_sensor_registers_the_source_pairs_only_and_requests_new_ones(tmp_path, instance):
    root = tmp_path / "corpus"
    source = write_corpus(root, {"fr/FR.jsonl": [article("a", "FR", "fr")], "fr/BE.jsonl": [article("b", "BE", "fr")]})

    first = _evaluate(instance, source)
    (add_request,) = first.dynamic_partitions_requests
    assert add_request.partitions_def_name == "article_pairs" and add_request.partition_keys == ["fr-BE", "fr-FR"]
    assert sorted(r.partition_key for r in first.run_requests) == ["fr-BE", "fr-FR"]
    assert len({r.run_key for r in first.run_requests}) == 2
    instance.add_dynamic_partitions("article_pairs", list(add_request.partition_keys))

    # Nothing new: the sensor skips.
    skipped = _evaluate(instance, source, first.cursor)
    assert skipped.skip_reason and not skipped.run_requests and skipped.cursor == first.cursor

    # A new language for a known country, a new country, and a changed file.
    write_corpus(root, {"en/FR.jsonl": [article("c", "FR", "en")], "es/AR.jsonl": [article("d", "AR", "es")]})
    write_corpus(root, {"fr/BE.jsonl": [article("b", "BE", "fr"), article("e", "BE", "fr")]})
    third = _evaluate(instance, source, first.cursor)
    assert [r.partition_keys for r in third.dynamic_partitions_requests] == [["en-FR", "es-AR"]]
    assert sorted(r.partition_key for r in third.run_requests) == ["en-FR", "es-AR", "fr-BE"]
    assert sorted(json.loads(third.cursor)) == ["en-FR", "es-AR", "fr-BE", "fr-FR"]
    # A changed partition gets a new run key, so it is not deduplicated away by the daemon.
    assert {r.run_key for r in third.run_requests}.isdisjoint({r.run_key for r in first.run_requests})


def _materialize_chain(instance, source, warehouse, key, assets):
    resources = {
        "source": source,
        "warehouse": warehouse,
        "translator": SourceProvidedTranslator(),
        "summarizer": ExtractiveSummarizer(),
        "embedder": SentenceTransformerEmbedder(),
    }
    assert materialize(assets, partition_key=key, instance=instance, resources=resources).success


def test_first_tick_runs_nothing_already_materialised_from_the_same_files(tmp_path, instance, warehouse):
    """Regression: with an empty cursor (the UI started right after the main job) the first tick
    queued a run for every partition the main job had just materialised."""
    root = tmp_path / "corpus"
    source = write_corpus(
        root,
        {
            "fr/FR.jsonl": [article("a", "FR", "fr")],
            "fr/BE.jsonl": [article("b", "BE", "fr")],
            "es/AR.jsonl": [article("c", "AR", "es")],
        },
    )
    instance.add_dynamic_partitions("article_pairs", ["es-AR", "fr-BE", "fr-FR"])
    chain = [raw_articles, translated_articles, article_summaries, article_embeddings]
    _materialize_chain(instance, source, warehouse, "fr-FR", chain)
    _materialize_chain(instance, source, warehouse, "fr-BE", chain)
    # es-AR stopped after raw_articles (its run failed later, say): not done, so it runs again.
    _materialize_chain(instance, source, warehouse, "es-AR", chain[:1])

    first = _evaluate(instance, source)
    assert [r.partition_key for r in first.run_requests] == ["es-AR"]
    assert not first.dynamic_partitions_requests
    # Nothing at all to do on a first tick: skipped, and the cursor is kept for the next ticks.
    _materialize_chain(instance, source, warehouse, "es-AR", chain)
    skipped = _evaluate(instance, source)
    assert skipped.skip_reason and not skipped.run_requests and skipped.cursor == first.cursor

    # A changed file gets exactly one run; the next tick has nothing to do.
    write_corpus(root, {"fr/BE.jsonl": [article("b", "BE", "fr"), article("d", "BE", "fr")]})
    second = _evaluate(instance, source, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["fr-BE"]
    third = _evaluate(instance, source, second.cursor)
    assert third.skip_reason and not third.run_requests


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
    assert [r.partition_key for r in first.run_requests] == ["fr-FR"]
    instance.add_dynamic_partitions("article_pairs", ["fr-FR"])
    skipped = _evaluate(instance, source, first.cursor)
    assert not skipped.run_requests
    message = skipped.skip_reason.skip_message
    assert "2 source files (3 records) are not read" in message
    assert "nl/NL.jsonl (2 records): language 'nl' is not one of the platform's languages" in message
    assert "wire_feed.jsonl (1 records): 'wire_feed' is not an ISO 3166-1 alpha-2 country code" in message
