"""Discovery of what the news source holds: new countries and new or changed partitions."""


import json

from dagster import (
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from asknews_assets.sensors import default_status
from asknews_assets.jobs import article_partition_job
from asknews_assets.partitions import country_partitions
from asknews_assets.resources.news_source import NewsSource


def plan_discovery(
    holdings: dict[str, str], known_countries: set[str], cursor: dict[str, str]
) -> tuple[list[str], list[str]]:
    """From {partition: fingerprint} held by the source, which countries to add and partitions to run.

    A partition runs when it is new or its fingerprint changed since the cursor saw it.
    """
    new_countries = sorted({key.split("|")[0] for key in holdings} - known_countries)
    to_run = sorted(key for key, fingerprint in holdings.items() if cursor.get(key) != fingerprint)
    return new_countries, to_run


@sensor(
    job=article_partition_job,
    minimum_interval_seconds=60,
    default_status=default_status("ASKNEWS_DISCOVERY_SENSOR"),
    description="Registers the source's countries as partitions and runs new or changed country x language pairs.",
)
def news_source_discovery_sensor(context: SensorEvaluationContext, source: NewsSource) -> SensorResult | SkipReason:
    holdings = {str(p): source.fingerprint(p) for p in source.list_partitions()}
    cursor = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions(country_partitions.name))
    new_countries, to_run = plan_discovery(holdings, known, cursor)
    if unroutable := getattr(source, "unroutable_files", lambda: [])():
        context.log.warning(f"files outside the <language>/<COUNTRY> layout, not read: {unroutable[:20]}")
    if not new_countries and not to_run:
        return SkipReason(f"{len(holdings)} partitions, none new or changed")
    return SensorResult(
        run_requests=[
            RunRequest(partition_key=key, run_key=f"{key}@{holdings[key]}")
            for key in to_run
        ],
        dynamic_partitions_requests=[country_partitions.build_add_request(new_countries)] if new_countries else [],
        cursor=json.dumps(holdings, sort_keys=True),
    )
