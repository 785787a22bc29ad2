"""Resources, chosen as a set by ASKNEWS_DEPLOYMENT ('local': offline and embedded; 'production').

The warehouse and the news source are built here; each stage module of this package contributes
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
from asknews_assets.resources.news_source import FileNewsSource
from asknews_assets.resources.warehouse import Warehouse


def _source(deployment: str) -> Any:
    """The news source ASKNEWS_SOURCE names (default: the AskNews API in production, files otherwise).

    Credentials are checked when the source is first used, before any network call; an explicitly
    set ASKNEWS_SOURCE_DIR is never replaced by the API without a word (see settings.source_kind).
    """
    if settings.source_kind(deployment) == "asknews":
        from asknews_assets.resources.asknews_source import AskNewsSource

        if os.environ.get("ASKNEWS_API_KEY"):
            return AskNewsSource(api_key=EnvVar("ASKNEWS_API_KEY"))
        return AskNewsSource(client_id=EnvVar("ASKNEWS_CLIENT_ID"), client_secret=EnvVar("ASKNEWS_CLIENT_SECRET"))
    return FileNewsSource(directory=str(settings.source_dir()), license=settings.source_license())


def build_resources(deployment: str | None = None) -> dict[str, Any]:
    deployment = deployment or settings.deployment()
    resources: dict[str, Any] = {
        "warehouse": Warehouse(database=str(settings.warehouse_path())),
        "source": _source(deployment),
    }
    for module_info in pkgutil.iter_modules(__path__):
        module = import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "resources_for"):
            resources.update(module.resources_for(deployment))
    return resources
