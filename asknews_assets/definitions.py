"""The code location: one Definitions object for the whole asset graph.

Assets, checks and sensors are collected from their packages, and resources from every module of
`asknews_assets.resources` that offers `resources_for(deployment)`, so a new stage is added by
adding its modules, not by editing a central list. The executor of every job comes from
ASKNEWS_EXECUTOR (asknews_assets.execution): by default the in-process executor, jobs and the UI's
asset backfills alike, since a partition run is a few short steps and a process per step would
import the model libraries once per step (tens of seconds each on a small machine).
"""

import pkgutil
from importlib import import_module

from dagster import (
    Definitions,
    AssetSpec,
    SensorDefinition,
    in_process_executor,
    load_asset_checks_from_package_module,
    load_assets_from_package_module,
    map_asset_specs,
)

from asknews_assets import assets, checks, jobs, sensors
from asknews_assets.execution import build_executor
from asknews_assets.metadata import OWNERS
from asknews_assets.resources import build_resources


def _definitions_in(package, kind: type) -> list:
    found = []
    for module_info in pkgutil.iter_modules(package.__path__):
        module = import_module(f"{package.__name__}.{module_info.name}")
        found.extend(value for value in vars(module).values() if isinstance(value, kind))
    return found


def _owned_and_versioned(spec: AssetSpec) -> AssetSpec:
    """Every asset has owners and a code version, so the UI shows who answers for it and marks it
    stale when its code version is bumped or an upstream asset changes. An asset whose logic changes
    raises its own `code_version` in its decorator; those without one are at version 1."""
    return spec.replace_attributes(owners=spec.owners or OWNERS, code_version=spec.code_version or "1")


defs = Definitions(
    assets=map_asset_specs(_owned_and_versioned, load_assets_from_package_module(assets)),
    asset_checks=load_asset_checks_from_package_module(checks),
    jobs=jobs.ALL_JOBS,
    sensors=_definitions_in(sensors, SensorDefinition),
    resources=build_resources(),
    executor=build_executor(),  # ASKNEWS_EXECUTOR: where the steps of every job run
)
