"""One partition of the raw layer as the raw_articles asset writes and reports it.

`partition_tables` turns a partition's `IngestResult` into the rows of raw_articles,
raw_article_rejects and raw_ingest_stats, once the article ids other partitions hold are moved to
the rejects; `IngestReport` gathers what the asset reports over the partitions of a run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from asknews_assets.ingest.articles import IngestResult, RejectReason, article_rows, reject_rows, release_foreign_ids
from asknews_assets.partitions import ArticlePartition

# Metadata key of raw_articles: {partition: the source fingerprint it read}. The discovery sensor
# compares it with what the source holds now, so a pair materialised from the current files is not
# run again.
FINGERPRINTS = "source_fingerprints"
COUNTS = ("read", "accepted", "rejected")


@dataclass(frozen=True)
class PartitionTables:
    """A partition's rows of the three raw tables, and the ingest result they were made from."""

    partition: ArticlePartition
    result: IngestResult  # after the ids other partitions hold were moved to the rejects
    articles: list[dict[str, Any]]  # raw_articles
    rejects: list[dict[str, Any]]  # raw_article_rejects
    stats: dict[str, Any]  # the one raw_ingest_stats row

    @property
    def ids_held_elsewhere(self) -> int:
        return self.result.rejects_by_reason().get(RejectReason.ID_IN_OTHER_PARTITION.value, 0)


def partition_tables(
    result: IngestResult,
    partition: ArticlePartition,
    owners: Mapping[str, str],
    *,
    source_backend: str,
    run_id: str,
    materialized_at: datetime | None = None,
) -> PartitionTables:
    """The rows to write for one partition. `owners` maps the accepted article ids that other
    partitions already hold to the partition holding them (see `release_foreign_ids`)."""
    result = release_foreign_ids(result, owners)
    keys = {"country": partition.country, "language": partition.language}
    stats = {
        **keys,
        "source_backend": source_backend,
        "read": result.read,
        "accepted": len(result.accepted),
        "rejected": len(result.rejected),
        "run_id": run_id,
        "materialized_at": materialized_at or datetime.now(timezone.utc),
    }
    rejects = [{**keys, **row} for row in reject_rows(result.rejected)]
    return PartitionTables(partition, result, article_rows(result.accepted), rejects, stats)


@dataclass
class IngestReport:
    """What raw_articles reports over the partitions of a run, added one partition at a time."""

    partitions: list[dict[str, Any]] = field(default_factory=list)  # partition, read, accepted, rejected
    rejects_by_reason: Counter[str] = field(default_factory=Counter)
    artefacts: Counter[str] = field(default_factory=Counter)
    licenses: Counter[str] = field(default_factory=Counter)
    truncated: int = 0
    fingerprints: dict[str, str] = field(default_factory=dict)
    preview: list[dict[str, Any]] = field(default_factory=list)

    def add(self, written: PartitionTables, fingerprint: str) -> None:
        key, accepted = str(written.partition), written.result.accepted
        self.partitions.append({"partition": key, **{k: written.stats[k] for k in COUNTS}})
        self.rejects_by_reason.update(written.result.rejects_by_reason())
        self.artefacts.update(name for a in accepted for name in a.artefacts)
        self.licenses.update(a.license or "unknown" for a in accepted)
        self.truncated += sum(a.truncated for a in accepted)
        self.fingerprints[key] = fingerprint
        self.preview += [
            {"partition": key, "article_id": a.article_id, "pub_date": str(a.pub_date.date()), "source": a.source_id, "title": a.title}
            for a in accepted
        ]

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(p[k] for p in self.partitions) for k in COUNTS}
