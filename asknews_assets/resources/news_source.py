"""News sources: one interface, a file implementation here and the AskNews SDK in asknews_source.py.

A source answers three questions: which country x language partitions it holds, a fingerprint of
each (so a sensor can tell when a partition changed), and the records of one partition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
from dagster import ConfigurableResource
from pydantic import Field

from asknews_assets.ingest.articles import SourceRecord
from asknews_assets.partitions import ArticlePartition, InvalidPartitionKey, is_country, is_language

FILE_SUFFIXES = (".jsonl", ".parquet")


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

    def read_partition(self, partition: ArticlePartition) -> Iterator[SourceRecord]:
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

    def read_partition(self, partition: ArticlePartition) -> Iterator[SourceRecord]:
        for path in self.files_of(partition):
            where = f"{partition.language}/{path.name}"
            if path.suffix == ".jsonl":
                with path.open("rb") as handle:
                    for number, line in enumerate(handle, 1):
                        if line.strip():
                            yield SourceRecord(f"{where}:{number}", line.rstrip(b"\r\n"))
            else:
                table = pq.read_table(path)
                for number, row in enumerate(table.to_pylist(), 1):
                    # Parquet may type the date column; the validator reads ISO 8601 strings.
                    row = {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in row.items()}
                    yield SourceRecord(f"{where}#row{number}", row)


def _count_records(path: Path) -> int:
    """Records in a file no partition reads: non-blank JSONL lines or Parquet rows (0 if unreadable)."""
    try:
        if path.suffix == ".jsonl":
            with path.open("rb") as handle:
                return sum(1 for line in handle if line.strip())
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError):
        return 0
