"""Resources, one set per deployment (ASKNEWS_DEPLOYMENT): 'local' (offline and embedded) or 'production'.

Each set is written out below, one line per resource key, so the choice of backend is configuration
and every asset depends on an interface only. Within a set, `Settings` picks what the user may
choose in either deployment (the warehouse, the news source, the summarizer and topic labeler); the
builders live next to their resource classes in this package's stage modules. Secrets stay Dagster
`EnvVar`s (or are read when used), so the UI shows a variable's name, never its value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dagster import EnvVar, PipesSubprocessClient

from asknews_assets import settings
from asknews_assets.resources.annotation import SpacyAnnotator, production_annotator
from asknews_assets.resources.embeddings import SentenceTransformerEmbedder, production_embedder
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.resources.models import OfflineGlinerBaseModels, hub_base_models, production_pipes_client
from asknews_assets.resources.publication import hub_publisher, local_folder_publisher
from asknews_assets.resources.summaries import summarizer
from asknews_assets.resources.topics import topic_labeler
from asknews_assets.resources.translation import ctranslate2_translator, source_provided_translator
from asknews_assets.settings import Settings
from asknews_assets.warehouse.resource import Warehouse


def warehouse(config: Settings) -> Warehouse:
    """ASKNEWS_WAREHOUSE: the embedded DuckDB file (default) or DuckLake."""
    if config.warehouse == "ducklake":
        # The catalog string may hold a password: Dagster shows the variable's name, never its value.
        return Warehouse(backend="ducklake", database=config.ducklake_data_path, catalog=EnvVar("ASKNEWS_DUCKLAKE_CATALOG"))
    return Warehouse(database=str(config.warehouse_path))


def news_source(config: Settings) -> Any:
    """The news source ASKNEWS_SOURCE names (default: the AskNews API in production, files otherwise).

    Credentials are checked when the source is first used, before any network call; an explicitly
    set ASKNEWS_SOURCE_DIR is never replaced by the API without a word (see `Settings.source`).
    """
    if config.source == "asknews":
        from asknews_assets.resources.ingest_asknews import AskNewsSource

        if len(config.asknews_credentials) == 1:
            return AskNewsSource(api_key=EnvVar(config.asknews_credentials[0]))
        client_id, client_secret = config.asknews_credentials
        return AskNewsSource(client_id=EnvVar(client_id), client_secret=EnvVar(client_secret))
    return FileNewsSource(directory=str(config.source_dir), license=config.source_license)


def local_resources(config: Settings) -> dict[str, Any]:
    """Offline and embedded: nothing leaves the machine, every model is packaged or built locally."""
    store = warehouse(config)
    return {
        "warehouse": store,
        "source": news_source(config),
        "translator": source_provided_translator(config),
        "summarizer": summarizer(config, store),
        "embedder": SentenceTransformerEmbedder(),
        "topic_labeler": topic_labeler(config, store),
        "annotator": SpacyAnnotator(),
        "gliner_base_models": OfflineGlinerBaseModels(),
        "training_pipes": PipesSubprocessClient(),  # ASKNEWS_TRAINING_RUNNER=pipes: a local subprocess
        "publisher": local_folder_publisher(config),
    }


def production_resources(config: Settings) -> dict[str, Any]:
    """The AskNews API, machine translation, the LLM endpoint, Hub models and the Hugging Face Hub."""
    store = warehouse(config)
    return {
        "warehouse": store,
        "source": news_source(config),
        "translator": ctranslate2_translator(config),
        "summarizer": summarizer(config, store),
        "embedder": production_embedder(config),
        "topic_labeler": topic_labeler(config, store),
        "annotator": production_annotator(config, store),
        "gliner_base_models": hub_base_models(config),
        "training_pipes": production_pipes_client(config),
        "publisher": hub_publisher(config),
    }


DEPLOYMENT_RESOURCES: dict[str, Callable[[Settings], dict[str, Any]]] = {
    "local": local_resources,
    "production": production_resources,
}


def build_resources(config: Settings | None = None) -> dict[str, Any]:
    """The resource set of `config.deployment` (default: this process's settings)."""
    config = config or settings.current()
    return DEPLOYMENT_RESOURCES[config.deployment](config)
