"""The code location: one Definitions object for the whole asset graph.

Assets and checks are collected from their packages (one module per stage each); jobs, sensors and
the resource set of the deployment are listed explicitly (asknews_assets.jobs, SENSORS below,
asknews_assets.resources.build_resources), so a reader sees in one place what the location serves.
The executor of every job comes from ASKNEWS_EXECUTOR (asknews_assets.execution): by default the
in-process executor, jobs and the UI's asset backfills alike, since a partition run is a few short
steps and a process per step would import the model libraries once per step (tens of seconds each
on a small machine).
"""

from dagster import (
    AssetSpec,
    Definitions,
    load_asset_checks_from_package_module,
    load_assets_from_package_module,
    map_asset_specs,
)

from asknews_assets import assets, checks, jobs, settings
from asknews_assets.execution import build_executor
from asknews_assets.metadata import OWNERS
from asknews_assets.resources import build_resources
from asknews_assets.sensors.discovery import news_source_discovery_sensor
from asknews_assets.sensors.publication import publication_sensor

SENSORS = [news_source_discovery_sensor, publication_sensor]


def _owned_and_versioned(spec: AssetSpec) -> AssetSpec:
    """Every asset has owners and a code version, so the UI shows who answers for it and marks it
    stale when its code version is bumped or an upstream asset changes. An asset whose logic changes
    raises its own `code_version` in its decorator; those without one are at version 1."""
    return spec.replace_attributes(owners=spec.owners or OWNERS, code_version=spec.code_version or "1")


_settings = settings.current()  # read once: the environment this code location was started with

defs = Definitions(
    assets=map_asset_specs(_owned_and_versioned, load_assets_from_package_module(assets)),
    asset_checks=load_asset_checks_from_package_module(checks),
    jobs=jobs.ALL_JOBS,
    sensors=SENSORS,
    resources=build_resources(_settings),
    executor=build_executor(_settings),  # ASKNEWS_EXECUTOR: where the steps of every job run
)
