"""The transition-system protocol shared by the parser and the entity recognizer.

A transition system owns its actions (names, preconditions, effects), the state of
every Doc of a batch in numpy arrays (:class:`StateBatch`), the features the model
reads from a state, and the oracle (``costs``) that says which actions keep the
best reachable gold analysis. Everything is batch-level: one call steps, masks or
costs all active states at once, so the step loop of the component has no Python
loop per state (DESIGN.md, "Performance principles").

Action layout: the system's fixed actions come first, then a block of actions per
label in label order; a new label appends its block at the END, so the rows a model
learned for the existing actions keep their meaning when the output layer grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from treadle.tokens import Doc
    from treadle.tokens.example import Example

# Cost given to invalid actions (finite, so min/compare arithmetic stays simple).
INVALID_COST = np.float32(1e9)


class StateBatch:
    """The states of a batch, one row per state, in numpy arrays.

    Every array in ``arrays`` has the state axis first, so :meth:`take` can clone or
    select states generically (used to cut long transition sequences into pieces).
    ``offsets[i]`` is the row of state i's first token in the packed (N, width)
    token matrix; ``lengths[i]`` its Doc's length; ``doc_index[i]`` which Doc of
    the batch it belongs to.
    """

    def __init__(self, offsets: np.ndarray, lengths: np.ndarray, doc_index: np.ndarray | None = None) -> None:
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        n = len(self.lengths)
        self.doc_index = np.arange(n, dtype=np.int64) if doc_index is None else np.asarray(doc_index, np.int64)
        self.max_len = int(self.lengths.max()) if n else 0
        self.arrays: dict[str, np.ndarray] = {}
        self.has_gold = False

    @property
    def n_states(self) -> int:
        return len(self.lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def sync(self) -> None:
        """Expose every array as an attribute (``batch.heads``): attribute lookups are
        the hot path of the step loop. Call after adding or replacing arrays."""
        self.__dict__.update(self.arrays)

    def take(self, rows: np.ndarray | Sequence[int]) -> StateBatch:
        """A new batch holding copies of the states ``rows`` (in that order)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = StateBatch.__new__(type(self))
        out.__dict__.update(self.__dict__)
        out.offsets = self.offsets[rows]
        out.lengths = self.lengths[rows]
        out.doc_index = self.doc_index[rows]
        out.max_len = self.max_len
        out.arrays = {k: v[rows].copy() for k, v in self.arrays.items()}
        out.sync()
        return out

    @staticmethod
    def concat(batches: Sequence[StateBatch]) -> StateBatch:
        """One batch holding the states of ``batches`` (made by the same ``init_batch``
        call or its ``take`` copies, so their arrays have the same widths)."""
        first = batches[0]
        out = StateBatch.__new__(type(first))
        out.__dict__.update(first.__dict__)
        out.offsets = np.concatenate([b.offsets for b in batches])
        out.lengths = np.concatenate([b.lengths for b in batches])
        out.doc_index = np.concatenate([b.doc_index for b in batches])
        out.max_len = max(b.max_len for b in batches)
        out.arrays = {k: np.concatenate([b.arrays[k] for b in batches]) for k in first.arrays}
        out.sync()
        return out


class TransitionSystem:
    """Base class: label bookkeeping and the batch-level protocol.

    Subclasses define ``fixed_actions`` (names of the label-independent actions),
    ``label_action_prefixes`` (one name prefix per action of a label block, e.g.
    ``("LEFT", "RIGHT")``) and the batch methods.
    """

    fixed_actions: tuple[str, ...] = ()
    label_action_prefixes: tuple[str, ...] = ()

    def __init__(self, labels: Iterable[str] = ()) -> None:
        self._labels: list[str] = []
        self._label_ids: dict[str, int] = {}
        for label in labels:
            self.add_label(label)

    # ------------------------------------------------------------------ labels / actions

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._labels)

    def label_id(self, label: str) -> int:
        """Index of ``label``, -1 if unknown."""
        return self._label_ids.get(label, -1)

    def add_label(self, label: str) -> bool:
        """Add ``label`` (its actions go at the end); True if it was new."""
        if label in self._label_ids:
            return False
        self._label_ids[label] = len(self._labels)
        self._labels.append(label)
        return True

    @property
    def n_fixed(self) -> int:
        return len(self.fixed_actions)

    @property
    def block(self) -> int:
        return len(self.label_action_prefixes)

    @property
    def n_actions(self) -> int:
        return self.n_fixed + self.block * len(self._labels)

    @property
    def action_names(self) -> list[str]:
        names = list(self.fixed_actions)
        for label in self._labels:
            names.extend(f"{p}-{label}" for p in self.label_action_prefixes)
        return names

    def action_id(self, name: str) -> int:
        """Index of an action given by name ("SHIFT", "LEFT-nsubj", ...)."""
        try:
            return self.action_names.index(name)
        except ValueError:
            raise KeyError(f"Unknown action {name!r}") from None

    def split_actions(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(kind, label) per action: kind < n_fixed is a fixed action; label actions get
        kind = n_fixed + position in the block and their label index."""
        actions = np.asarray(actions, dtype=np.int64)
        rel = actions - self.n_fixed
        is_label = rel >= 0
        kind = np.where(is_label, self.n_fixed + np.where(is_label, rel, 0) % max(self.block, 1), actions)
        label = np.where(is_label, np.where(is_label, rel, 0) // max(self.block, 1), -1)
        return kind, label

    def labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        raise NotImplementedError

    # ------------------------------------------------------------------ batch protocol

    def init_batch(self, docs: Sequence[Doc], offsets: np.ndarray | None = None) -> StateBatch:
        raise NotImplementedError

    def n_features(self, state_type: str = "parser", extra_state_tokens: bool = False) -> int:
        raise NotImplementedError

    def features(
        self, batch: StateBatch, active: np.ndarray, extra_state_tokens: bool = False
    ) -> np.ndarray:
        """(len(active), n_features) int64 rows into the packed token matrix; -1 = none."""
        raise NotImplementedError

    def valid_mask(self, batch: StateBatch, active: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply(self, batch: StateBatch, active: np.ndarray, actions: np.ndarray) -> None:
        raise NotImplementedError

    def is_final(self, batch: StateBatch) -> np.ndarray:
        raise NotImplementedError

    def make_gold(self, example: Example) -> Any:
        raise NotImplementedError

    def set_gold(self, batch: StateBatch, golds: Sequence[Any]) -> None:
        """Stack the per-Doc golds (one per state, in state order) into ``batch``."""
        raise NotImplementedError

    def costs(self, batch: StateBatch, active: np.ndarray, golds: Sequence[Any] | None = None) -> np.ndarray:
        """Dynamic-oracle costs (len(active), n_actions) float32: 0 keeps the best
        reachable gold analysis; invalid actions get ``INVALID_COST``. ``golds`` (one per
        state) are stacked into the batch on first use."""
        raise NotImplementedError

    def set_annotations(self, batch: StateBatch, docs: Sequence[Doc]) -> None:
        raise NotImplementedError

    def cut_states(
        self,
        docs: Sequence[Doc],
        offsets: np.ndarray,
        golds: Sequence[Any],
        cut_size: int,
        rng: np.random.Generator | None = None,
    ) -> StateBatch:
        """Training states for ``docs``: each Doc's initial state plus, for Docs whose
        gold sequence is longer than ``cut_size`` steps, states taken along the gold
        path every ``cut_size`` steps (the first cut at a random point), so a rollout
        of at most ``cut_size`` steps from each covers the whole Doc."""
        batch = self.init_batch(docs, offsets)
        self.set_gold(batch, golds)
        if cut_size <= 0 or not batch.n_states:
            return batch
        long_rows = np.flatnonzero(self.max_steps(batch) > cut_size)
        if not len(long_rows):
            return batch
        walk = batch.take(long_rows)
        pieces = [batch]
        first = int(rng.integers(1, cut_size + 1)) if rng is not None else cut_size
        t = 0
        while True:
            active = np.flatnonzero(~self.is_final(walk))
            if not len(active):
                break
            if t >= first and (t - first) % cut_size == 0:
                pieces.append(walk.take(active))
            cost = self.costs(walk, active)
            self.apply(walk, active, cost.argmin(axis=1))
            t += 1
        return StateBatch.concat(pieces)

    def training_batch(
        self, docs: Sequence[Doc], offsets: np.ndarray, golds: Sequence[Any], cut_size: int
    ) -> StateBatch:
        """The states a training rollout starts from: each Doc's initial state, plus a
        *walker* copy (``batch.walker``) of each Doc whose gold sequence is longer than
        ``cut_size`` steps. The rollout moves walkers along the gold path and spawns a
        new piece from them every ``cut_size`` steps (the same pieces as
        :meth:`cut_states`, without a separate pass over the long Docs)."""
        batch = self.init_batch(docs, offsets)
        self.set_gold(batch, golds)
        batch.arrays["walker"] = np.zeros(batch.n_states, dtype=bool)
        batch.sync()
        if cut_size <= 0 or not batch.n_states:
            return batch
        long_rows = np.flatnonzero(self.max_steps(batch) > cut_size)
        if not len(long_rows):
            return batch
        walkers = batch.take(long_rows)
        walkers.walker[:] = True
        return StateBatch.concat([batch, walkers])

    def max_steps(self, batch: StateBatch) -> np.ndarray:
        """An upper bound of the number of steps from each state to a final one."""
        return 2 * batch.lengths

    # ------------------------------------------------------------------ helpers

    def oracle_actions(self, batch: StateBatch, golds: Sequence[Any], *, rng: Any = None) -> list[list[int]]:
        """Run the gold-standard oracle to the end: each step takes a zero-cost valid
        action (the first, or a random one with ``rng``). Returns each state's actions;
        ``batch`` ends in the final states."""
        self.set_gold(batch, golds)
        history: list[list[int]] = [[] for _ in range(batch.n_states)]
        while True:
            active = np.flatnonzero(~self.is_final(batch))
            if not len(active):
                return history
            cost = self.costs(batch, active)
            best = cost.min(axis=1, keepdims=True)
            ok = (cost <= best) & (cost < INVALID_COST)
            if rng is None:
                actions = ok.argmax(axis=1)
            else:
                noise = rng.random(ok.shape)
                actions = np.where(ok, noise, -1.0).argmax(axis=1)
            self.apply(batch, active, actions)
            for i, a in zip(active.tolist(), actions.tolist(), strict=True):
                history[i].append(a)
