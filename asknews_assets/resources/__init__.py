"""Resources, chosen as a set by ASKNEWS_DEPLOYMENT ('local': offline and embedded; 'production').

The warehouse (ASKNEWS_WAREHOUSE: the embedded DuckDB file or DuckLake) and the news source are built here; each stage module of this package contributes
the resources it needs through a function `resources_for(deployment) -> dict`, so the choice of
backend is configuration and every asset depends on an interface only.
"""

from __future__ import annotations

import os
import pkgutil
from importlib import import_module
from typing import Any

from dagster import EnvVar

from asknews_assets import settings
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse.resource import Warehouse


def _source(deployment: str) -> Any:
    """The news source ASKNEWS_SOURCE names (default: the AskNews API in production, files otherwise).

    Credentials are checked when the source is first used, before any network call; an explicitly
    set ASKNEWS_SOURCE_DIR is never replaced by the API without a word (see settings.source_kind).
    """
    if settings.source_kind(deployment) == "asknews":
        from asknews_assets.resources.ingest_asknews import AskNewsSource

        if os.environ.get("ASKNEWS_API_KEY"):
            return AskNewsSource(api_key=EnvVar("ASKNEWS_API_KEY"))
        return AskNewsSource(client_id=EnvVar("ASKNEWS_CLIENT_ID"), client_secret=EnvVar("ASKNEWS_CLIENT_SECRET"))
    return FileNewsSource(directory=str(settings.source_dir()), license=settings.source_license())


def _warehouse() -> Warehouse:
    if settings.warehouse_backend() == "ducklake":
        # The catalog string may hold a password: Dagster shows the variable's name, never its value.
        return Warehouse(backend="ducklake", database=settings.ducklake_data_path(), catalog=EnvVar("ASKNEWS_DUCKLAKE_CATALOG"))
    return Warehouse(database=str(settings.warehouse_path()))


def build_resources(deployment: str | None = None) -> dict[str, Any]:
    deployment = deployment or settings.deployment()
    resources: dict[str, Any] = {
        "warehouse": _warehouse(),
        "source": _source(deployment),
    }
    for module_info in pkgutil.iter_modules(__path__):
        module = import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "resources_for"):
            resources.update(module.resources_for(deployment))
    return resources
