"""The code location loads and exposes the graph, partitions, jobs and sensors users expect."""

import subprocess
import sys

from dagster import AssetKey, DynamicPartitionsDefinition

from asknews_assets.definitions import defs
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.settings import PROJECT_ROOT


def test_definitions_load_with_the_expected_graph():
    repository = defs.get_repository_def()
    keys = set(repository.asset_graph.get_all_asset_keys())
    assert AssetKey("raw_articles") in keys
    raw = repository.asset_graph.get(AssetKey("raw_articles"))
    assert isinstance(raw.partitions_def, DynamicPartitionsDefinition) and raw.partitions_def.name == "article_pairs"
    assert repository.has_job("article_partition_job")
    # Every run, the UI's asset backfills included, executes its steps in the run's process.
    assert {job.executor_def.name for job in repository.get_all_jobs()} == {"in_process"}
    assert "news_source_discovery_sensor" in {s.name for s in repository.sensor_defs}


def test_local_deployment_binds_the_embedded_backends():
    assert isinstance(defs.resources["warehouse"], Warehouse)
    assert isinstance(defs.resources["source"], FileNewsSource)
    assert defs.resources["warehouse"].database.endswith(".duckdb")


# Every run worker and step process loads the code location: model libraries load inside the steps
# that use them, never at import (CTranslate2's converter alone cost 2 s per process).
HEAVY_MODULES = (
    "torch",
    "transformers",
    "ctranslate2.converters",
    "sentence_transformers",
    "gliner",
    "spacy",
    "hdbscan",
    "sklearn",
    "matplotlib",
)


def test_loading_the_code_location_imports_no_model_library():
    probe = "import sys, asknews_assets.definitions; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    found = subprocess.run(
        [sys.executable, "-c", probe, *HEAVY_MODULES], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    ).stdout.split()
    assert found == []
