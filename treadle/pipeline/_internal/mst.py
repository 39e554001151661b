"""Maximum spanning tree decoding of dependency scores (Chu-Liu/Edmonds), in numpy.

Scores come as an ``(n, n + 1)`` matrix per sentence: ``scores[i, j]`` is the score of
head ``j`` for token ``i``, where column 0 is the virtual ROOT and column ``k + 1`` is
token ``k``. The result gives every token a head in ``0..n`` (0 = ROOT) such that the
arcs form one tree rooted at ROOT with the highest total score; non-projective trees
are allowed.

Each contraction step is a handful of array operations over the (shrinking) matrix,
so a sentence costs O(n^2) per contracted cycle and at most n contractions.

With ``single_root`` ROOT gets exactly one child. That is the "root penalty" trick: a
constant larger than any possible gain is subtracted from every ROOT arc, so the best
tree uses as few ROOT arcs as a tree can (one), and among those the best; one MST run,
exact.
"""

from __future__ import annotations

import numpy as np


def mst_heads(scores: np.ndarray, *, single_root: bool = True) -> np.ndarray:
    """Heads (``0`` = ROOT, ``k + 1`` = token ``k``) of the best tree for ``scores``
    (``(n, n + 1)``; ``-inf`` forbids an arc). Self-loops are ignored."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    if scores.ndim != 2 or scores.shape[1] != n + 1:
        raise ValueError(f"mst_heads: scores must have shape (n, n + 1), got {scores.shape}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    S = np.full((n + 1, n + 1), -np.inf)
    S[1:] = scores
    np.fill_diagonal(S, -np.inf)
    if not np.isfinite(S[1:, 0]).any():
        raise ValueError("mst_heads: no token may attach to ROOT, so there is no tree")
    if single_root and n > 1:
        finite = S[np.isfinite(S)]
        span = float(finite.max() - finite.min()) if finite.size else 0.0
        S[1:, 0] -= (span + 1.0) * (n + 1)
    return _chu_liu_edmonds(S)[1:]


def _chu_liu_edmonds(S: np.ndarray) -> np.ndarray:
    """Best arborescence rooted at node 0 of the dense score matrix ``S[dep, head]``."""
    heads = S.argmax(axis=1)
    heads[0] = 0
    cycle = _find_cycle(heads)
    if cycle is None:
        return heads
    m = S.shape[0]
    in_cycle = np.zeros(m, dtype=bool)
    in_cycle[cycle] = True
    rest = np.flatnonzero(~in_cycle)  # rest[0] == 0: ROOT is never on a cycle
    r = len(rest)
    kept = S[cycle, heads[cycle]]
    # An arc entering the cycle at c breaks c's cycle arc: its gain is relative to that.
    enter = S[np.ix_(cycle, rest)] - kept[:, None]
    enter_at = enter.argmax(axis=0)
    leave = S[np.ix_(rest, cycle)]
    leave_from = leave.argmax(axis=1)
    sub = np.full((r + 1, r + 1), -np.inf)
    sub[:r, :r] = S[np.ix_(rest, rest)]
    sub[r, :r] = enter.max(axis=0)
    sub[:r, r] = leave.max(axis=1)
    sub[0, :] = -np.inf
    np.fill_diagonal(sub, -np.inf)
    sub_heads = _chu_liu_edmonds(sub)
    out = heads.copy()
    outer = sub_heads[:r]
    to_cycle = outer == r
    out[rest] = np.where(to_cycle, cycle[leave_from], rest[np.minimum(outer, r - 1)])
    out[0] = 0
    h = int(sub_heads[r])
    out[cycle[enter_at[h]]] = rest[h]
    return out


def _find_cycle(heads: np.ndarray) -> np.ndarray | None:
    """The nodes of one cycle of the head function (node 0 excluded), or None."""
    m = len(heads)
    state = np.zeros(m, dtype=np.int8)  # 0 new, 1 on the current path, 2 done
    state[0] = 2
    for start in range(1, m):
        if state[start]:
            continue
        path = []
        v = start
        while state[v] == 0:
            state[v] = 1
            path.append(v)
            v = int(heads[v])
        if state[v] == 1:
            return np.asarray(path[path.index(v) :], dtype=np.int64)
        state[path] = 2
    return None


def is_tree(heads: np.ndarray) -> bool:
    """Whether ``heads`` (``0`` = ROOT, ``k + 1`` = token ``k``) reach ROOT from every token."""
    heads = np.asarray(heads, dtype=np.int64)
    n = len(heads)
    if n and (heads.min() < 0 or heads.max() > n):
        return False
    full = np.concatenate([[0], heads])
    return _find_cycle(full) is None
