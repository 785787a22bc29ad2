"""The code location loads and exposes the graph, partitions, jobs and sensors users expect."""

from dagster import AssetKey, MultiPartitionsDefinition

from asknews_assets.definitions import defs
from asknews_assets.resources.news_source import FileNewsSource
from asknews_assets.resources.warehouse import Warehouse


def test_definitions_load_with_the_expected_graph():
    repository = defs.get_repository_def()
    keys = set(repository.asset_graph.get_all_asset_keys())
    assert AssetKey("raw_articles") in keys
    raw = repository.asset_graph.get(AssetKey("raw_articles"))
    assert isinstance(raw.partitions_def, MultiPartitionsDefinition)
    assert [d.name for d in raw.partitions_def.partitions_defs] == ["country", "language"]
    assert repository.has_job("article_partition_job")
    assert "news_source_discovery_sensor" in {s.name for s in repository.sensor_defs}


def test_local_deployment_binds_the_embedded_backends():
    assert isinstance(defs.resources["warehouse"], Warehouse)
    assert isinstance(defs.resources["source"], FileNewsSource)
    assert defs.resources["warehouse"].database.endswith(".duckdb")
