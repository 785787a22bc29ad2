"""Near-duplicate detection by cosine similarity of (unit-length) article embeddings.

Two articles are near-duplicates when their cosine similarity is strictly above the threshold:
wire copies, syndicated rewrites and translations of the same story end up that close.
"""

from __future__ import annotations

import numpy as np


def unit_rows(embeddings: np.ndarray) -> np.ndarray:
    embeddings = np.asarray(embeddings, dtype=np.float32)
    return embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)


def near_duplicate_pairs(embeddings: np.ndarray, threshold: float, block_rows: int = 2048) -> list[tuple[int, int, float]]:
    """Every pair (i, j, similarity) with i < j and cosine similarity above `threshold`.

    Computed block by block, so 100k rows never need an n x n matrix in memory.
    """
    unit = unit_rows(embeddings)
    pairs = []
    for start in range(0, len(unit), block_rows):
        similarities = unit[start : start + block_rows] @ unit.T
        rows, columns = np.nonzero(similarities > threshold)
        for row, column in zip(rows.tolist(), columns.tolist()):
            if start + row < column:
                pairs.append((start + row, column, float(similarities[row, column])))
    return pairs


class NearDuplicateGuard:
    """Admits vectors one at a time, refusing any too similar to one already admitted."""

    def __init__(self, dim: int, capacity: int, threshold: float) -> None:
        self._admitted = np.empty((max(capacity, 1), dim), dtype=np.float32)
        self._count = 0
        self.threshold = threshold

    def admit(self, unit_vector: np.ndarray) -> bool:
        if self._count and float(np.max(self._admitted[: self._count] @ unit_vector)) > self.threshold:
            return False
        if self._count == len(self._admitted):
            self._admitted = np.concatenate([self._admitted, np.empty_like(self._admitted)])
        self._admitted[self._count] = unit_vector
        self._count += 1
        return True
