"""News sources: one interface, a file implementation here and the AskNews SDK in ingest_asknews.py.

A source answers three questions: which country x language partitions it holds, a fingerprint of
each (so a sensor can tell when a partition changed), and the records of one partition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
from dagster import ConfigurableResource
from pydantic import Field

from asknews_assets.ingest.articles import IngestLimits, OversizedPayload, SourceRecord, UnreadablePayload
from asknews_assets.partitions import ArticlePartition, InvalidPartitionKey, is_country, is_language

FILE_SUFFIXES = (".jsonl", ".parquet")
READ_CHUNK_BYTES = 1 << 20
PARQUET_BATCH_ROWS = 1_000
# Statuses (HTTP, or the AskNews SDK's code // 1000) that say "try again later".
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def is_transient_source_error(error: BaseException) -> bool:
    """Whether reading a source may succeed if tried again: network trouble, timeouts, 429 and 5xx.

    Anything else (a missing folder, refused credentials, a full disk, a bug) fails the same way on
    every try, so it is not retried.
    """
    if isinstance(error, (httpx.TransportError, ConnectionError, TimeoutError)):
        return True
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in _TRANSIENT_STATUSES
    code = getattr(error, "code", None)  # asknews_sdk.errors.APIError: HTTP status x 1000 + detail
    return isinstance(code, int) and code // 1000 in _TRANSIENT_STATUSES


@dataclass(frozen=True)
class Unroutable:
    """Part of the source that no partition reads: where it is, why, and how many records it holds."""

    location: str
    language: str  # the language it is filed under, as given (may be one the platform does not have)
    reason: str
    records: int


class NewsSource(ConfigurableResource):
    """Interface of every news source (assets and sensors depend on this type only)."""

    @property
    def backend(self) -> str:
        raise NotImplementedError

    def list_partitions(self) -> list[ArticlePartition]:
        raise NotImplementedError

    def fingerprint(self, partition: ArticlePartition) -> str:
        raise NotImplementedError

    def read_partition(self, partition: ArticlePartition, max_record_bytes: int | None = None) -> Iterator[SourceRecord]:
        """The partition's records; a source that reads raw lines stops reading one at `max_record_bytes`."""
        raise NotImplementedError

    def unroutable(self) -> list[Unroutable]:
        """What the source holds that no partition reads (so read = accepted + rejected + unroutable)."""
        return []

    @property
    def default_license(self) -> str | None:
        """Licence of records that carry none (SPDX id or a LicenseRef), or None when unknown."""
        return None


class FileNewsSource(NewsSource):
    """JSONL or Parquet files laid out as `<directory>/<language>/<COUNTRY>[.<drop>].jsonl|.parquet`.

    Several drops may feed one partition (`FR.jsonl`, `FR.wire-2024-03.jsonl`); they are read in
    name order.
    The layout routes every record to exactly one partition, so a malformed line is rejected in the
    partition it was delivered to and never silently lost. Files outside the layout are reported by
    `unroutable` with a reason and their record count (the main job, the discovery sensor and the
    article_supply asset report them).
    A record's licence is its `license` field, else the source's `license` setting.
    """

    directory: str = Field(description="Folder holding <language>/<COUNTRY>.jsonl or .parquet files.")
    license: str = Field(
        default="", description="Licence of records without a `license` field (SPDX id, e.g. cc-by-4.0); empty: unknown."
    )

    @property
    def default_license(self) -> str | None:
        return self.license.strip() or None

    @property
    def backend(self) -> str:
        return "files"

    @property
    def root(self) -> Path:
        root = Path(self.directory)
        if not root.is_dir():
            raise FileNotFoundError(f"news source folder {root} does not exist (set ASKNEWS_SOURCE_DIR)")
        return root

    def _candidate_files(self) -> Iterator[tuple[Path, ArticlePartition | None]]:
        for path in sorted(self.root.glob("*/*")):
            if path.suffix not in FILE_SUFFIXES or not path.is_file():
                continue
            if path.is_symlink() or path.parent.is_symlink():  # a link could point anywhere on disk
                yield path, None
                continue
            try:
                yield path, ArticlePartition(country=path.name.split(".")[0], language=path.parent.name)
            except InvalidPartitionKey:
                yield path, None

    def unroutable(self) -> list[Unroutable]:
        found = []
        for path, partition in self._candidate_files():
            if partition is None:
                language, country = path.parent.name, path.name.split(".")[0]
                if path.is_symlink() or path.parent.is_symlink():
                    reason, records = "symbolic link (not followed)", 0
                elif not is_language(language):
                    reason, records = f"language {language!r} is not one of the platform's languages", _count_records(path)
                elif not is_country(country):
                    reason, records = f"{country!r} is not an ISO 3166-1 alpha-2 country code", _count_records(path)
                else:
                    reason, records = "outside the <language>/<COUNTRY> layout", _count_records(path)
                found.append(Unroutable(str(path), language, reason, records))
        return found

    def unroutable_files(self) -> list[str]:
        return [item.location for item in self.unroutable()]

    def list_partitions(self) -> list[ArticlePartition]:
        return sorted({partition for _, partition in self._candidate_files() if partition is not None})

    def files_of(self, partition: ArticlePartition) -> list[Path]:
        # The partition is validated, so these patterns cannot escape the folder.
        folder = self.root / partition.language
        found = {path for suffix in FILE_SUFFIXES for path in folder.glob(f"{partition.country}{suffix}")}
        found |= {path for suffix in FILE_SUFFIXES for path in folder.glob(f"{partition.country}.*{suffix}")}
        return sorted(path for path in found if path.is_file() and not path.is_symlink() and not folder.is_symlink())

    def fingerprint(self, partition: ArticlePartition) -> str:
        digest = hashlib.sha256()
        for path in self.files_of(partition):
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()[:16]

    def read_partition(self, partition: ArticlePartition, max_record_bytes: int | None = None) -> Iterator[SourceRecord]:
        limit = max_record_bytes or IngestLimits().max_record_bytes
        for path in self.files_of(partition):
            where = f"{partition.language}/{path.name}"
            if path.suffix == ".jsonl":
                with path.open("rb") as handle:
                    yield from _jsonl_records(handle, where, limit)
            else:
                yield from _parquet_records(path, where)


def _jsonl_records(handle: BinaryIO, where: str, limit: int) -> Iterator[SourceRecord]:
    """Non-blank lines as records; a line over `limit` bytes is skipped in chunks, never held whole."""
    number = 0
    while line := handle.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            size, head = len(line), line[:2_000]
            while (rest := handle.readline(READ_CHUNK_BYTES)) and not rest.endswith(b"\n"):
                size += len(rest)
            size += len(rest)
            yield SourceRecord(f"{where}:{number}", OversizedPayload(size, head))
        elif line.strip():
            yield SourceRecord(f"{where}:{number}", line.rstrip(b"\r\n"))


def _plain(row: dict) -> dict:
    # Parquet may type the date column; the validator reads ISO 8601 strings.
    return {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in row.items()}


def _parquet_records(path: Path, where: str) -> Iterator[SourceRecord]:
    """Rows as records, read batch by batch; a file or row that cannot be read is one unreadable record."""
    number = 0
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS)
        for batch in batches:
            try:
                rows = batch.to_pylist()
            except (pa.ArrowException, ValueError, OverflowError):  # one value Python cannot hold (a date past 9999)
                rows = None
            for index in range(batch.num_rows):
                number += 1
                if rows is not None:
                    yield SourceRecord(f"{where}#row{number}", _plain(rows[index]))
                    continue
                try:
                    yield SourceRecord(f"{where}#row{number}", _plain(batch.slice(index, 1).to_pylist()[0]))
                except (pa.ArrowException, ValueError, OverflowError) as error:
                    yield SourceRecord(f"{where}#row{number}", UnreadablePayload(f"{type(error).__name__}: {error}"))
    except (pa.ArrowException, OSError) as error:
        if isinstance(error, OSError) and not isinstance(error, pa.ArrowException) and error.errno is not None:
            raise  # the disk, not the file: fail the step with the cause
        yield SourceRecord(where, UnreadablePayload(f"from row {number + 1} on: {type(error).__name__}: {error}"))


def _count_records(path: Path) -> int:
    """Records in a file no partition reads: non-blank JSONL lines or Parquet rows (0 if unreadable)."""
    try:
        if path.suffix == ".jsonl":
            with path.open("rb") as handle:
                return sum(1 for line in handle if line.strip())
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError):
        return 0
