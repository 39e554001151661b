"""Evaluate a set of token specs (each a conjunction of checks) over many tokens at once.

Positive literal/``IN`` checks on one attribute share a single sorted lookup
(``searchsorted`` of the column into the sorted pattern values); every other check
computes its own boolean row. A spec's row is the AND of its checks' rows; a spec
without checks (``{}``) is true everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from treadle.matcher.patterns import Check, ExtensionCheck, ValueCheck


class CheckSet:
    """The checks of ``specs`` (tuples of Check), compiled for vectorized evaluation."""

    def __init__(self, specs: Sequence[tuple[Check, ...]]) -> None:
        check_ids: dict[Check, int] = {}
        spec_cids = [tuple(sorted({check_ids.setdefault(c, len(check_ids)) for c in spec}))
                     for spec in specs]
        self.n_specs = len(spec_cids)
        self.checks = list(check_ids)
        self.attrs = sorted({c.attr for c in self.checks if not isinstance(c, ExtensionCheck)})
        groups: dict[int, dict[int, list[int]]] = {}
        self.other_checks: list[tuple[int, Check]] = []
        for cid, check in enumerate(self.checks):
            if isinstance(check, ValueCheck) and not check.negate:
                by_value = groups.setdefault(check.attr, {})
                for value in check.values:
                    by_value.setdefault(value, []).append(cid)
            else:
                self.other_checks.append((cid, check))
        self.value_groups = []
        for attr, by_value in groups.items():
            values = np.array(sorted(by_value), dtype=np.int64)
            counts = np.array([len(by_value[v]) for v in values.tolist()], dtype=np.int64)
            offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            flat = np.array([c for v in values.tolist() for c in by_value[v]], dtype=np.int64)
            self.value_groups.append((attr, values, offsets, flat, bool((counts == 1).all())))
        singles = [(s, c[0]) for s, c in enumerate(spec_cids) if len(c) == 1]
        self.single_specs = np.array([s for s, _ in singles], dtype=np.int64)
        self.single_checks = np.array([c for _, c in singles], dtype=np.int64)
        self.empty_specs = [s for s, c in enumerate(spec_cids) if not c]
        self.multi_specs = [(s, list(c)) for s, c in enumerate(spec_cids) if len(c) > 1]

    def spec_matrix(self, ctx: Any, n: int) -> np.ndarray:
        """Boolean (n_specs, n): spec s holds for item i (a token, or a lexeme)."""
        m = np.zeros((len(self.checks), n), dtype=bool)
        for attr, values, offsets, flat, one_each in self.value_groups:
            col = ctx.column(attr)
            idx = np.searchsorted(values, col)
            np.minimum(idx, len(values) - 1, out=idx)
            pos = np.flatnonzero(values[idx] == col)
            if not len(pos):
                continue
            j = idx[pos]
            if one_each:
                m[flat[offsets[j]], pos] = True
            else:
                # every check listening for the value found at each position
                counts = offsets[j + 1] - offsets[j]
                within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
                m[flat[np.repeat(offsets[j], counts) + within], np.repeat(pos, counts)] = True
        for cid, check in self.other_checks:
            m[cid] = check.compute(ctx)
        s = np.empty((self.n_specs, n), dtype=bool)
        if len(self.single_specs):
            s[self.single_specs] = m[self.single_checks]
        if self.empty_specs:
            s[self.empty_specs] = True
        for sid, cids in self.multi_specs:
            s[sid] = m[cids].all(axis=0)
        return s


def group_by_column(s: np.ndarray, ids: np.ndarray) -> list[list[int]]:
    """For each column of the boolean matrix, the ``ids`` of the rows that are true."""
    n = s.shape[1]
    pos, row = np.nonzero(s.T)
    bounds = np.searchsorted(pos, np.arange(n + 1)).tolist()
    found = ids[row].tolist()
    return [found[bounds[i] : bounds[i + 1]] for i in range(n)]
