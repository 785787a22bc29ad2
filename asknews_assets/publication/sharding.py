"""Parquet shards in the Hub's layout: `data/{split}-NNNNN-of-NNNNN.parquet`.

A split is cut into contiguous, nearly equal shards of at most about `max_shard_bytes` (the same
default as `datasets.push_to_hub`), streamed batch by batch so a large split never sits in memory.
The bytes written depend only on the input, so an unchanged split republishes as unchanged files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from asknews_assets.publication.naming import shard_path

DEFAULT_MAX_SHARD_BYTES = 500 * 2**20


@dataclass(frozen=True)
class Shard:
    path_in_repo: str
    local: Path
    rows: int


def shard_counts(n_rows: int, n_shards: int) -> list[int]:
    """Rows per shard: contiguous and as equal as possible (the first ones take the remainder)."""
    base, extra = divmod(n_rows, n_shards)
    return [base + (1 if index < extra else 0) for index in range(n_shards)]


def shard_split(source: Path, split: str, out_root: Path, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES) -> list[Shard]:
    """Write `source` (one split's Parquet file) as shards under `out_root`, in row order."""
    if max_shard_bytes <= 0:
        raise ValueError("max_shard_bytes must be positive")
    parquet = pq.ParquetFile(source)
    n_rows = parquet.metadata.num_rows
    n_shards = max(1, min(n_rows, math.ceil(source.stat().st_size / max_shard_bytes)))
    counts = shard_counts(n_rows, n_shards)
    batches = parquet.iter_batches(batch_size=max(1, min(65_536, max(counts))))
    pending = None
    shards = []
    for index, count in enumerate(counts):
        path_in_repo = shard_path(split, index, n_shards)
        local = out_root / path_in_repo
        local.parent.mkdir(parents=True, exist_ok=True)
        with pq.ParquetWriter(local, parquet.schema_arrow) as writer:
            remaining = count
            while remaining:
                if pending is None or pending.num_rows == 0:
                    pending = next(batches)
                taken = pending.slice(0, remaining)
                writer.write_batch(taken)
                remaining -= taken.num_rows
                pending = pending.slice(taken.num_rows)
        shards.append(Shard(path_in_repo, local, count))
    return shards
