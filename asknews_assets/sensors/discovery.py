"""Discovery of what the news source holds: new or changed country x language pairs.

A pair runs when it is new or its fingerprint changed. "Changed" is judged against the sensor's
cursor and, for a pair the cursor has not seen (the first tick after `make demo`, or a pair
backfilled from the UI), against what is already materialised: raw_articles records the source
fingerprint it read, so a pair whose whole chain was materialised from the current files is not run
again when the UI starts.
"""

import json

from dagster import (
    DagsterInstance,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from asknews_assets.ingest.partition import FINGERPRINTS
from asknews_assets.jobs import article_partition_job
from asknews_assets.partitions import article_partitions
from asknews_assets.releases import latest_materialization
from asknews_assets.resources.ingest import NewsSource, Unroutable
from asknews_assets.sensors import default_status
from asknews_assets.warehouse import tables

# The last asset of article_partition_job: a pair is done when it was materialised after raw_articles.
LAST_STAGE = tables.ARTICLE_EMBEDDINGS.key


def plan_discovery(
    holdings: dict[str, str], registered: set[str], done: dict[str, str]
) -> tuple[list[str], list[str]]:
    """From {partition: fingerprint} held by the source, the partitions to register and to run.

    `done` maps partitions to the fingerprint their last complete run read; a partition runs when it
    has none or another one.
    """
    new_partitions = sorted(set(holdings) - registered)
    to_run = sorted(key for key, fingerprint in holdings.items() if done.get(key) != fingerprint)
    return new_partitions, to_run


def materialised_fingerprint(instance: DagsterInstance, partition: str) -> str | None:
    """The source fingerprint the partition's complete chain was materialised from, if it was."""
    raw = latest_materialization(instance, tables.RAW_ARTICLES.key, partition)
    last = latest_materialization(instance, LAST_STAGE, partition)
    if raw is None or last is None or last.storage_id < raw.storage_id:
        return None
    fingerprints = raw.metadata.get(FINGERPRINTS)
    return fingerprints.get(partition) if isinstance(fingerprints, dict) else None


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
    description="Registers the source's country x language pairs as partitions and runs new or changed ones.",
)
def news_source_discovery_sensor(context: SensorEvaluationContext, source: NewsSource) -> SensorResult:
    holdings = {str(p): source.fingerprint(p) for p in source.list_partitions()}
    done = json.loads(context.cursor) if context.cursor else {}
    for key, fingerprint in holdings.items():
        if done.get(key) != fingerprint and (found := materialised_fingerprint(context.instance, key)):
            done[key] = found
    registered = set(context.instance.get_dynamic_partitions(article_partitions.name))
    new_partitions, to_run = plan_discovery(holdings, registered, done)
    unroutable = source.unroutable()
    note = describe_unroutable(unroutable)
    if unroutable:
        context.log.warning(note)
    if not new_partitions and not to_run:
        # The cursor is kept on a skip too: later ticks then compare against it, not against a
        # partition that a backfill is re-materialising at that moment.
        return SensorResult(
            skip_reason=f"{len(holdings)} partitions, none new or changed since materialised" + (f"; {note}" if note else ""),
            cursor=json.dumps(holdings, sort_keys=True),
        )
    return SensorResult(
        run_requests=[RunRequest(partition_key=key, run_key=f"{key}@{holdings[key]}") for key in to_run],
        dynamic_partitions_requests=[article_partitions.build_add_request(new_partitions)] if new_partitions else [],
        cursor=json.dumps(holdings, sort_keys=True),
    )
