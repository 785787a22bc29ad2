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
from asknews_assets.resources.news_source import NewsSource, Unroutable


def plan_discovery(
    holdings: dict[str, str], known_countries: set[str], cursor: dict[str, str]
) -> tuple[list[str], list[str]]:
    """From {partition: fingerprint} held by the source, which countries to add and partitions to run.

    A partition runs when it is new or its fingerprint changed since the cursor saw it.
    """
    new_countries = sorted({key.split("|")[0] for key in holdings} - known_countries)
    to_run = sorted(key for key, fingerprint in holdings.items() if cursor.get(key) != fingerprint)
    return new_countries, to_run


def describe_unroutable(unroutable: list[Unroutable], shown: int = 10) -> str:
    """One line on what no partition reads: files, records, and the first few with their reason."""
    if not unroutable:
        return ""
    listed = "; ".join(f"{u.location} ({u.records} records): {u.reason}" for u in unroutable[:shown])
    more = f"; and {len(unroutable) - shown} more" if len(unroutable) > shown else ""
    return f"{len(unroutable)} source files ({sum(u.records for u in unroutable)} records) are not read: {listed}{more}"


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
    unroutable = source.unroutable()
    note = describe_unroutable(unroutable)
    if unroutable:
        context.log.warning(note)
    if not new_countries and not to_run:
        return SkipReason(f"{len(holdings)} partitions, none new or changed" + (f"; {note}" if note else ""))
    return SensorResult(
        run_requests=[
            RunRequest(partition_key=key, run_key=f"{key}@{holdings[key]}")
            for key in to_run
        ],
        dynamic_partitions_requests=[country_partitions.build_add_request(new_countries)] if new_countries else [],
        cursor=json.dumps(holdings, sort_keys=True),
    )
