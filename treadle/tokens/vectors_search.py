"""Nearest rows by cosine over a Vectors table: ``most_similar`` and ``prune``.

Both are batched matrix products of unit-normalized rows, so a 400k-row table is
searched in chunks that fit in memory (about 32M scores at a time) instead of one
full similarity matrix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from treadle.tokens.vectors import Vectors

# Scores per chunk: (chunk rows x table rows) float32 stays near 128 MB.
_CHUNK_SCORES = 1 << 25


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` with each row scaled to length 1 (all-zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _chunk(n_targets: int, batch_size: int) -> int:
    return max(1, min(batch_size, _CHUNK_SCORES // max(1, n_targets)))


def most_similar(
    vectors: Vectors, queries: np.ndarray, *, n: int = 1, batch_size: int = 1024
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    queries = np.asarray(queries, dtype=np.float32)
    if queries.ndim != 2:
        raise ValueError(f"most_similar expects a 2-D array of query rows, got shape {queries.shape}")
    if queries.shape[1] != vectors.data.shape[1]:
        raise ValueError(
            f"most_similar: queries have width {queries.shape[1]}, the table {vectors.data.shape[1]}"
        )
    owners = vectors.row_keys()
    used = np.fromiter(vectors.key2row.values(), dtype=np.int64, count=len(vectors.key2row))
    candidates = np.unique(used[used < vectors.data.shape[0]])
    n = min(n, len(candidates))
    n_q = queries.shape[0]
    keys = np.zeros((n_q, n), dtype=np.uint64)
    rows = np.zeros((n_q, n), dtype=np.int64)
    scores = np.zeros((n_q, n), dtype=np.float32)
    if n == 0:
        return keys, rows, scores
    table = unit_rows(vectors.data[candidates])
    q_unit = unit_rows(queries)
    step = _chunk(len(candidates), batch_size)
    for start in range(0, n_q, step):
        sims = q_unit[start : start + step] @ table.T
        # argpartition finds the n best in linear time; only those n are then sorted.
        top = np.argpartition(-sims, n - 1, axis=1)[:, :n] if n < sims.shape[1] else np.tile(
            np.arange(sims.shape[1]), (sims.shape[0], 1)
        )
        top_scores = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        best = np.take_along_axis(top, order, axis=1)
        end = start + best.shape[0]
        rows[start:end] = candidates[best]
        scores[start:end] = np.take_along_axis(top_scores, order, axis=1)
        keys[start:end] = owners[rows[start:end]]
    return keys, rows, scores


def prune(vectors: Vectors, n_rows: int, *, batch_size: int = 4096) -> dict[int, tuple[int, float]]:
    if n_rows < 1:
        raise ValueError(f"prune needs at least one row to keep, got {n_rows}")
    if n_rows >= vectors.data.shape[0]:
        return {}
    owners = vectors.row_keys()
    kept = unit_rows(vectors.data[:n_rows])
    removed = vectors.data[n_rows:]
    nearest = np.empty(removed.shape[0], dtype=np.int64)
    best_scores = np.empty(removed.shape[0], dtype=np.float32)
    step = _chunk(n_rows, batch_size)
    for start in range(0, removed.shape[0], step):
        sims = unit_rows(removed[start : start + step]) @ kept.T
        best = sims.argmax(axis=1)
        nearest[start : start + len(best)] = best
        best_scores[start : start + len(best)] = sims[np.arange(len(best)), best]
    remap: dict[int, tuple[int, float]] = {}
    for key, row in vectors.key2row.items():
        if row >= n_rows:
            new_row = int(nearest[row - n_rows])
            vectors.key2row[key] = new_row
            remap[key] = (int(owners[new_row]), float(best_scores[row - n_rows]))
    vectors.data = vectors.data[:n_rows].copy()
    vectors._next_row = min(vectors._next_row, n_rows)
    return remap
