"""The raw news layer: validated, normalised, deduplicated articles per country x language."""


import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import (
    AssetExecutionContext,
    Backoff,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from asknews_assets.ingest.articles import IngestLimits, ingest_partition
from asknews_assets.ingest.artefacts import ArtefactSettings
from asknews_assets.ingest.partition import FINGERPRINTS, IngestReport, partition_tables
from asknews_assets.metadata import column_schema, counts_md, table_preview
from asknews_assets.partitions import article_backfill_policy, article_partitions, partitions_of
from asknews_assets.redaction import redact_secrets
from asknews_assets.resources.ingest import NewsSource, is_transient_source_error
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse, WarehouseLockTimeout


class RawArticlesConfig(Config):
    max_text_chars: int = 50_000
    max_record_bytes: int = 1_000_000
    # Feed artefacts are recorded per article either way; these say whether they are also removed.
    clean_truncation_markers: bool = True
    clean_photo_credits: bool = True
    clean_chopped_start: bool = True

    def artefact_settings(self) -> ArtefactSettings:
        return ArtefactSettings(self.clean_truncation_markers, self.clean_photo_credits, self.clean_chopped_start)


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="ingest",
    kinds={"duckdb", "python"},
    tags={"stage": "ingest"},
    code_version="2",
    # The source may be a network API: transient failures get retried with backoff, and only those
    # (`without_retry_unless_transient`): bad records are rejects, and any other error fails the same way again.
    retry_policy=RetryPolicy(max_retries=3, delay=10, backoff=Backoff.EXPONENTIAL),
)
def raw_articles(
    context: AssetExecutionContext, config: RawArticlesConfig, source: NewsSource, warehouse: Warehouse
) -> MaterializeResult:
    """News articles of each country x language partition, validated, normalised and deduplicated.

    Unusable records go to `raw_article_rejects` with their source location and a reason, and the
    partition's read/accepted/rejected counts to `raw_ingest_stats`, so accepted + rejected = read.
    Feed artefacts (truncation markers, photo credits, a chopped first letter) are cleaned as the
    config says and recorded per article (`artefacts`, `truncated`), with each article's `license`.
    Each partition records the source fingerprint it read, which the discovery sensor compares.
    """
    limits = IngestLimits(max_text_chars=config.max_text_chars, max_record_bytes=config.max_record_bytes)
    report = IngestReport()
    for partition in partitions_of(context):
        with without_retry_unless_transient(f"{source.backend} source, partition {partition}"):
            # Taken before reading, so a file changed mid-read gets another run from the discovery sensor.
            fingerprint = source.fingerprint(partition)
            result = ingest_partition(
                source.read_partition(partition, limits.max_record_bytes),
                partition,
                limits,
                artefact_settings=config.artefact_settings(),
                default_license=source.default_license,
            )
        with without_retry_unless_transient(f"warehouse {warehouse.database}"), warehouse.get_connection() as conn:
            # Under the warehouse lock, so two partitions written at once cannot both claim an id.
            owners = readers.article_id_owners(conn, partition, [a.article_id for a in result.accepted])
            written = partition_tables(result, partition, owners, source_backend=source.backend, run_id=context.run.run_id)
            tables.RAW_ARTICLES.replace_partition(conn, partition, written.articles)
            tables.RAW_ARTICLE_REJECTS.replace_partition(conn, partition, written.rejects)
            tables.RAW_INGEST_STATS.replace_partition(conn, partition, [written.stats])
        if written.ids_held_elsewhere:
            context.log.warning(f"{partition}: article ids held by other partitions rejected: {written.result.rejects_by_reason()}")
        report.add(written, fingerprint)

    totals = report.totals
    return MaterializeResult(
        metadata={
            "dagster/row_count": totals["accepted"],
            "dagster/column_schema": column_schema(tables.RAW_ARTICLES.ddl),
            "dagster/table_name": tables.RAW_ARTICLES.name,
            **totals,
            "partitions": table_preview(report.partitions, max_rows=len(report.partitions)),
            "rejects_by_reason": counts_md(sorted(report.rejects_by_reason.items()), key="reason"),
            "truncated": report.truncated,
            "artefacts": counts_md(sorted(report.artefacts.items()), key="artefact"),
            "licenses": counts_md(sorted(report.licenses.items()), key="license"),
            "source_backend": source.backend,
            FINGERPRINTS: MetadataValue.json(report.fingerprints),
            "warehouse": MetadataValue.path(str(warehouse.database)),
            "preview": table_preview(report.preview),
        }
    )


@contextmanager
def without_retry_unless_transient(what: str) -> Iterator[None]:
    """Let transient errors (network, 429, 5xx, the warehouse lock) through to the retry policy; turn
    any other into a Failure that is not retried, with its cause first and every secret redacted."""
    try:
        yield
        return
    except Failure:
        raise
    except Exception as error:  # noqa: BLE001 (classified right below)
        if is_transient_source_error(error) or isinstance(error, WarehouseLockTimeout):
            raise
        message = redact_secrets(f"{type(error).__name__}: {error} ({what})")
        trace = redact_secrets("".join(traceback.format_exception(error)))
    # Not chained: the original (which may quote a secret) would be serialised with it.
    raise Failure(message, metadata={"traceback": MetadataValue.text(trace)}, allow_retries=False) from None
