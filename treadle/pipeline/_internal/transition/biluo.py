"""BILUO entity recognition as a transition system, stepped for a whole batch in numpy.

Actions follow the layout of :mod:`treadle.pipeline._internal.transition.system`; every action
consumes one token: ``O`` (outside), and per label ``B-X`` (begin a
multi-token entity), ``I-X`` (inside), ``L-X`` (last), ``U-X`` (a one-token entity).
Action ids: 0 is ``O``; label ``j`` owns ids ``4j+1 .. 4j+4`` for B, I, L, U, so a new
label appends its four actions at the end and the learned output rows keep their ids.

A batch of states is a handful of arrays indexed by state (buffer position, open
entity start and label, the action taken at each token), from which
``set_annotations`` reads the entities.

The dynamic oracle handles partial annotation: a token whose gold value is missing
("-") costs nothing whatever is done there, while a gold "O", a blocked token or a
negative span ("not an entity of this type", from ``incorrect_spans_key``) makes any
entity covering it cost. An action costs one per gold entity it makes unreachable and
one when it commits to a wrong entity over annotated tokens; ``costs`` returns them
relative to the cheapest valid action, so there is always a zero-cost action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import DataError
from treadle.pipeline._internal.transition.system import INVALID_COST, StateBatch, TransitionSystem
from treadle.tokens import Span, hash_string
from treadle.tokens import attrs as A

if TYPE_CHECKING:
    from treadle.tokens import Doc
    from treadle.tokens.example import Example

# Gold moves per token (int8); MISSING: nothing is known.
MISSING, OUT, BEGIN, IN, LAST, UNIT = -1, 0, 1, 2, 3, 4
MOVE_NAMES = {OUT: "O", BEGIN: "B", IN: "I", LAST: "L", UNIT: "U"}
_LETTER_TO_MOVE = {"B": BEGIN, "I": IN, "L": LAST, "U": UNIT}


def action_id(move: int, label: int) -> int:
    """The action id of ``move`` (BEGIN..UNIT) for label index ``label``; OUT is 0."""
    return 0 if move == OUT else 4 * label + move


@dataclass
class NerGold:
    """Gold entity annotation of one Doc, on its (predicted) tokens.

    ``move``/``label``: gold BILUO move and label index per token (MISSING / -1 where
    unknown); ``ent_start``: the token where the gold entity covering each token
    begins (-1 outside entities); ``forbid``: tokens no entity may cover (gold "O",
    blocked); ``neg``: (n_tokens, n_labels) tokens an entity of that label may not
    cover, or None when the Doc has no negative spans.
    """

    move: np.ndarray
    label: np.ndarray
    ent_start: np.ndarray
    forbid: np.ndarray
    neg: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.move)


class BiluoSystem(TransitionSystem):
    """BILUO moves over a growing list of entity labels."""

    name = "ner"
    fixed_actions = ("O",)
    label_action_prefixes = ("B", "I", "L", "U")
    # costs() gives INVALID_COST exactly to the invalid actions: no separate mask needed.
    costs_imply_valid = True

    def __init__(
        self,
        labels: Iterable[str] = (),
        *,
        incorrect_spans_key: str | None = None,
        extra_state_tokens: bool = False,
    ) -> None:
        self.incorrect_spans_key = incorrect_spans_key
        self.extra_state_tokens = extra_state_tokens
        super().__init__(labels)

    def add_label(self, label: str) -> bool:
        """Add ``label`` (its four actions go at the end); False if already known."""
        if not isinstance(label, str) or not label or label in ("O", "-"):
            raise DataError(f"ner: invalid entity label {label!r}")
        return super().add_label(label)

    def labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        found: set[str] = set()
        for eg in examples:
            found.update(ent.label_ for ent in eg.reference.ents)
        return sorted(found)

    @staticmethod
    def decode_actions(actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(move, label index) of each action id; OUT gets label -1."""
        actions = np.asarray(actions, dtype=np.int64)
        move = np.where(actions == 0, OUT, (actions - 1) % 4 + 1)
        label = np.where(actions == 0, -1, (actions - 1) // 4)
        return move, label

    # ------------------------------------------------------------------ states

    def init_batch(self, docs: Sequence[Doc], offsets: np.ndarray | Sequence[int] | None = None) -> StateBatch:
        """One state per Doc; ``offsets``: each Doc's first row in the packed token
        matrix (default: the cumulative lengths)."""
        lengths = np.array([len(d) for d in docs], dtype=np.int64)
        if offsets is None:
            offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(docs) else np.zeros(0)
        batch = StateBatch(np.asarray(offsets, dtype=np.int64), lengths)
        n = len(docs)
        batch.arrays["pos"] = np.zeros(n, dtype=np.int64)
        batch.arrays["ent_start"] = np.full(n, -1, dtype=np.int64)
        batch.arrays["ent_label"] = np.full(n, -1, dtype=np.int64)
        # The action taken at each token of the state's Doc (-1: not yet).
        batch.arrays["history"] = np.full((n, max(batch.max_len, 1)), -1, dtype=np.int64)
        _sync(batch)
        return batch

    def is_final(self, batch: StateBatch) -> np.ndarray:
        return batch.pos >= batch.lengths

    def n_features(self, state_type: str = "ner", extra_state_tokens: bool = False) -> int:
        return 6 if extra_state_tokens else 3

    def features(
        self, batch: StateBatch, active: np.ndarray, extra_state_tokens: bool | None = None
    ) -> np.ndarray:
        """Packed-matrix rows of the feature tokens of live states, -1 where there is
        none: the next token, the one before it, the open entity's first token (and
        with extra state tokens the two after the next one and the one two before)."""
        extra = self.extra_state_tokens if extra_state_tokens is None else extra_state_tokens
        active = np.asarray(active, dtype=np.int64)
        pos = batch.pos[active]
        off = batch.offsets[active]
        start = batch.ent_start[active]
        cur = off + pos
        out = np.empty((len(active), 6 if extra else 3), dtype=np.int64)
        out[:, 0] = np.where(pos < batch.lengths[active], cur, -1)
        out[:, 1] = np.where(pos > 0, cur - 1, -1)
        out[:, 2] = np.where(start >= 0, off + start, -1)
        if extra:
            n = batch.lengths[active]
            out[:, 3] = np.where(pos + 1 < n, cur + 1, -1)
            out[:, 4] = np.where(pos + 2 < n, cur + 2, -1)
            out[:, 5] = np.where(pos > 1, cur - 2, -1)
        return out

    def valid_mask(self, batch: StateBatch, active: np.ndarray) -> np.ndarray:
        """(len(active), n_actions) bool: no I/L without an open entity, I/L keep the
        open label and an open entity must continue or end, no B or I at the last
        token, nothing after the last token."""
        active = np.asarray(active, dtype=np.int64)
        k = len(active)
        pos = batch.pos[active]
        live = pos < batch.lengths[active]
        has_next = pos + 1 < batch.lengths[active]
        open_ = batch.ent_start[active] >= 0
        mask = np.zeros((k, self.n_actions), dtype=bool)
        closed = live & ~open_
        mask[:, 0] = closed
        mask[:, BEGIN::4] = (closed & has_next)[:, None]
        mask[:, UNIT::4] = closed[:, None]
        rows = np.flatnonzero(live & open_)
        lab = batch.ent_label[active[rows]]
        mask[rows, 4 * lab + IN] = has_next[rows]
        mask[rows, 4 * lab + LAST] = True
        return mask

    def apply(self, batch: StateBatch, active: np.ndarray, actions: np.ndarray) -> None:
        active = np.asarray(active, dtype=np.int64)
        actions = np.asarray(actions, dtype=np.int64)
        pos = batch.pos[active]
        batch.history[active, pos] = actions
        # (action - 1) & 3: 0 B, 1 I, 2 L, 3 U; O (-1) gives 3 too: it closes like U.
        rel = actions - 1
        kind = rel & 3
        begins = kind == 0
        inside = kind == 1
        batch.ent_start[active] = np.where(begins, pos, np.where(inside, batch.ent_start[active], -1))
        batch.ent_label[active] = np.where(begins, rel >> 2, np.where(inside, batch.ent_label[active], -1))
        batch.pos[active] = pos + 1

    # ------------------------------------------------------------------ gold

    def make_gold(self, example: Example) -> NerGold:
        """The Example's entities on its predicted tokens. Missing values stay missing;
        entities of labels this system doesn't know are treated as missing."""
        if example.alignment.is_identity:
            ref = example.reference
            cols = ref.to_array([A.ENT_IOB, A.ENT_TYPE]).reshape(-1, 2)
            move, label = self._gold_moves_from_columns(cols[:, 0], cols[:, 1], np.array([0]))
        else:
            move, label = self._gold_moves_from_tags(example.get_aligned_ents_and_ner()[1])
        n = len(move)
        forbid = (move == OUT) | _aligned_blocked(example)
        neg = None
        key = self.incorrect_spans_key
        if key is not None and key in example.reference.spans:
            spans = example.get_aligned_spans_y2x(example.reference.spans[key], allow_overlap=True)
            neg = np.zeros((n, len(self._labels)), dtype=bool)
            for span in spans:
                j = self._label_ids.get(span.label_)
                if j is not None:
                    neg[span.start : span.end, j] = True
        return NerGold(move=move, label=label, ent_start=_entity_starts(move), forbid=forbid, neg=neg)

    def _gold_moves_from_tags(self, tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        move = np.full(len(tags), MISSING, dtype=np.int8)
        label = np.full(len(tags), -1, dtype=np.int64)
        for i, tag in enumerate(tags):
            if tag == "O":
                move[i] = OUT
            elif tag and tag != "-":
                j = self._label_ids.get(tag[2:])
                if j is not None:
                    move[i] = _LETTER_TO_MOVE[tag[0]]
                    label[i] = j
        return move, label

    def make_golds(self, examples: Sequence[Example]) -> list[NerGold]:
        """``make_gold`` for a batch: Examples with the same tokens on both sides (the
        usual case) are read from their IOB columns concatenated, in one pass."""
        out: list[NerGold | None] = [None] * len(examples)
        same: list[int] = []
        key = self.incorrect_spans_key
        for i, eg in enumerate(examples):
            if eg.alignment.is_identity and not (key is not None and key in eg.reference.spans):
                same.append(i)
            else:
                out[i] = self.make_gold(eg)
        if same:
            refs = [examples[i].reference for i in same]
            lengths = np.array([len(r) for r in refs], dtype=np.int64)
            starts = np.zeros(len(refs), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            cols = np.concatenate([r.to_array([A.ENT_IOB, A.ENT_TYPE]).reshape(-1, 2) for r in refs])
            iob, types = cols[:, 0], cols[:, 1]
            move, label = self._gold_moves_from_columns(iob, types, starts)
            forbid = (move == OUT) | ((iob == 3) & (types == 0))
            is_start = (move == BEGIN) | (move == UNIT)
            inside = is_start | (move == IN) | (move == LAST)
            idx = np.arange(len(move))
            last_start = np.maximum.accumulate(np.where(is_start, idx, -1)) if len(idx) else idx
            doc_start = np.repeat(starts, lengths)
            ent_start = np.where(inside, last_start - doc_start, -1)
            for i, a, n in zip(same, starts.tolist(), lengths.tolist(), strict=True):
                sl = slice(a, a + n)
                out[i] = NerGold(move=move[sl], label=label[sl], ent_start=ent_start[sl], forbid=forbid[sl])
        return out  # type: ignore[return-value]

    def _label_hashes(self) -> dict[int, int]:
        """Label index by the int64 string hash a Doc stores for the label."""
        cached = self.__dict__.get("_hash_cache")
        if cached is None or cached[0] != len(self._labels):
            table = {}
            for j, label in enumerate(self._labels):
                h = hash_string(label)
                table[h - (1 << 64) if h >= 1 << 63 else h] = j
            cached = (len(self._labels), table)
            self.__dict__["_hash_cache"] = cached
        return cached[1]

    def _gold_moves_from_columns(
        self, iob: np.ndarray, types: np.ndarray, doc_starts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gold moves from IOB columns of same-tokenized reference Docs (concatenated;
        ``doc_starts``: each Doc's first row), with the entity boundaries ``doc.ents``
        uses: an entity starts at an IOB "B" with a type and runs over the "I" tokens
        after it, within its Doc."""
        n = len(iob)
        move = np.full(n, MISSING, dtype=np.int8)
        label = np.full(n, -1, dtype=np.int64)
        if not n:
            return move, label
        move[iob == 2] = OUT
        starts = (iob == 3) & (types != 0)
        first = np.zeros(n, dtype=bool)
        first[doc_starts[doc_starts < n]] = True
        idx = np.arange(n)
        # Each token's entity start: the last break (start, non-I token, Doc start)
        # at or before it; an I token belongs to an entity if that break is a start.
        last_break = np.maximum.accumulate(np.where(starts | (iob != 1) | first, idx, -1))
        inside = starts[last_break] & ((iob == 1) | starts)
        if not inside.any():
            return move, label
        ends = np.ones(n, dtype=bool)
        ends[:-1] = (iob[1:] != 1) | first[1:]
        lab_of = np.full(n, -1, dtype=np.int64)
        by_hash = self._label_hashes()
        for h in np.unique(types[starts]).tolist():
            lab_of[starts & (types == h)] = by_hash.get(h, -1)
        lab = np.where(inside, lab_of[last_break], -1)
        known = inside & (lab >= 0)
        is_start = starts & known
        is_end = ends & known
        m = np.where(is_start & is_end, UNIT, np.where(is_start, BEGIN, np.where(is_end, LAST, IN)))
        move[known] = m[known]
        label[known] = lab[known]
        return move, label

    def gold_from_tags(self, tags: Sequence[str]) -> NerGold:
        """A gold built from BILUO tags directly ("-" missing), for tests and tools."""
        move = np.full(len(tags), MISSING, dtype=np.int8)
        label = np.full(len(tags), -1, dtype=np.int64)
        for i, tag in enumerate(tags):
            if tag == "O":
                move[i] = OUT
            elif tag not in ("-", "", None):
                move[i] = _LETTER_TO_MOVE[tag[0]]
                label[i] = self._label_ids[tag[2:]]
        return NerGold(move=move, label=label, ent_start=_entity_starts(move), forbid=move == OUT)

    def set_gold(self, batch: StateBatch, golds: Sequence[NerGold]) -> None:
        """Stack the golds (one per state, or one per Doc for batches of Doc pieces)
        into (n_states, max_len + 1) arrays; the extra column is a sentinel read when
        looking one token past the end. Done once per batch and list of golds."""
        if batch.__dict__.get("_gold_source") is golds:
            return
        source = golds
        n_states, n_labels = batch.n_states, len(self._labels)
        if len(golds) != n_states:
            n_docs = int(batch.doc_index.max(initial=-1)) + 1
            if len(golds) != n_docs:
                raise DataError(f"ner: {len(golds)} golds given for {n_states} states of {n_docs} Docs")
            golds = [golds[d] for d in batch.doc_index.tolist()]
        width = batch.max_len + 1
        move = np.full((n_states, width), MISSING, dtype=np.int8)
        label = np.full((n_states, width), -1, dtype=np.int64)
        ent_start = np.full((n_states, width), -1, dtype=np.int64)
        forbid = np.zeros((n_states, width), dtype=bool)
        neg = None
        for s, gold in enumerate(golds):
            n = int(batch.lengths[s])
            if len(gold) != n:
                raise DataError(f"ner: gold for {len(gold)} tokens given for a Doc of {n} tokens")
            move[s, :n] = gold.move
            label[s, :n] = gold.label
            ent_start[s, :n] = gold.ent_start
            forbid[s, :n] = gold.forbid
            if gold.neg is not None and gold.neg.size:
                if neg is None:
                    neg = np.zeros((n_states, width, n_labels), dtype=bool)
                neg[s, :n, : gold.neg.shape[1]] = gold.neg
        batch.arrays.update(g_move=move, g_label=label, g_ent_start=ent_start, g_forbid=forbid)
        for name in ("c_closed", "c_in", "c_last"):
            batch.arrays.pop(name, None)
        if neg is not None:
            batch.arrays["g_neg"] = neg
        else:
            batch.arrays.pop("g_neg", None)
        batch.has_gold = True
        batch.__dict__["_gold_source"] = source
        _sync(batch)

    def cut_states(
        self,
        docs: Sequence[Doc],
        offsets: np.ndarray,
        golds: Sequence[NerGold],
        cut_size: int,
        rng: Any = None,
    ) -> StateBatch:
        """Training states: each Doc longer than ``cut_size`` is cut into pieces of
        ``cut_size`` tokens, each starting in the state the gold path reaches there (an
        entity is open where the gold token is I or L), so rollouts of at most
        ``cut_size`` steps cover every token. The golds are stacked in."""
        batch = self.init_batch(docs, offsets)
        if cut_size > 0 and batch.max_len > cut_size:
            rows, starts = [], []
            for d, n in enumerate(batch.lengths.tolist()):
                for start in range(0, max(n, 1), cut_size):
                    rows.append(d)
                    starts.append(start)
            batch = batch.take(rows)
            starts_arr = np.asarray(starts, dtype=np.int64)
            batch.pos[:] = starts_arr
            self.set_gold(batch, golds)
            st = np.arange(batch.n_states)
            g_move = batch.g_move[st, starts_arr]
            inside = (starts_arr > 0) & ((g_move == IN) | (g_move == LAST))
            batch.ent_start[inside] = batch.g_ent_start[st[inside], starts_arr[inside]]
            batch.ent_label[inside] = batch.g_label[st[inside], starts_arr[inside]]
            return batch
        self.set_gold(batch, golds)
        return batch

    def _cost_tables(self, batch: StateBatch) -> None:
        """Every token's action costs, computed once per batch from the stacked gold:
        ``c_closed`` (n_states, width, n_actions) for a state without an open entity,
        ``c_in``/``c_last`` (n_states, width, n_labels, 2) for I/L of an open entity
        of each label, indexed by whether that entity matches the gold one. Invalid
        moves hold INVALID_COST, so a step's costs are a gather (see ``costs``).

        The costs: an action pays one per gold entity it makes unreachable and one
        when it commits a wrong entity over annotated tokens (or over a gold "O",
        blocked or negative token); missing tokens are free."""
        n_states, width = batch.g_move.shape
        n_labels = len(self._labels)
        t = np.arange(width)[None, :]
        n = batch.lengths[:, None]
        live = t < n
        has_next = t + 1 < n
        mv = batch.g_move.astype(np.int64)
        lb = batch.g_label
        mv_n = np.full_like(mv, MISSING)
        mv_n[:, :-1] = mv[:, 1:]
        mv_n = np.where(has_next, mv_n, MISSING)
        forbid_here = np.repeat(batch.g_forbid[:, :, None], n_labels, axis=2)
        forbid_next = np.zeros_like(forbid_here)
        forbid_next[:, :-1] = forbid_here[:, 1:]
        if "g_neg" in batch.arrays:
            forbid_here |= batch.g_neg[:, :, :n_labels]
            forbid_next[:, :-1] |= batch.g_neg[:, 1:, :n_labels]
        forbid_next &= has_next[:, :, None]
        labs = np.arange(n_labels)[None, None, :]
        starts_here = ((mv == BEGIN) | (mv == UNIT)).astype(np.float32)[:, :, None]
        starts_next = ((mv_n == BEGIN) | (mv_n == UNIT)).astype(np.float32)[:, :, None]
        annotated = (mv != MISSING)[:, :, None]
        # No open entity: O loses a gold entity starting here; U/B are right only on
        # the matching gold U/B, else they lose what starts here and add a wrong entity.
        wrong_here = (annotated | forbid_here).astype(np.float32)
        is_unit = (mv == UNIT)[:, :, None] & (lb[:, :, None] == labs)
        is_begin = (mv == BEGIN)[:, :, None] & (lb[:, :, None] == labs)
        blocks = np.full((n_states, width, n_labels, 4), INVALID_COST, dtype=np.float32)
        blocks[..., UNIT - 1] = np.where(is_unit, 0.0, starts_here + wrong_here)
        # B on a missing token commits the next token too: charge what lies there.
        ahead = np.where(annotated, 0.0, starts_next) + (~annotated & forbid_next)
        cost_b = np.where(is_begin, 0.0, starts_here + wrong_here + ahead)
        blocks[..., BEGIN - 1] = np.where(has_next[:, :, None], cost_b, INVALID_COST)
        closed = np.empty((n_states, width, self.n_actions), dtype=np.float32)
        closed[:, :, 0] = starts_here[:, :, 0]
        closed[:, :, 1:] = blocks.reshape(n_states, width, 4 * n_labels)
        closed[~live] = INVALID_COST
        # An open entity of label x matches the gold one when that began where it did
        # with label x ("aligned"); continuing past the gold entity's end or ending it
        # early loses it. I also commits the next token.
        base = starts_here + forbid_here.astype(np.float32)  # (S, W, L)
        c_in = np.empty((n_states, width, n_labels, 2), dtype=np.float32)
        c_last = np.empty_like(c_in)
        c_in[..., 0] = base + starts_next + forbid_next
        c_in[..., 1] = c_in[..., 0] + (mv == LAST)[:, :, None]
        c_last[..., 0] = base
        c_last[..., 1] = base + (mv == IN)[:, :, None]
        c_in[~has_next] = INVALID_COST
        c_last[~live] = INVALID_COST
        # Relative to the cheapest valid action of each situation, so a step's costs
        # need no minimum: a closed state's row, or an open state's I and L.
        best = closed.min(axis=2, keepdims=True)
        closed = np.where(closed < INVALID_COST, closed - best, INVALID_COST).astype(np.float32)
        best_open = np.minimum(c_in, c_last)
        c_in = np.where(c_in < INVALID_COST, c_in - best_open, INVALID_COST).astype(np.float32)
        c_last = np.where(c_last < INVALID_COST, c_last - best_open, INVALID_COST).astype(np.float32)
        batch.arrays.update(c_closed=closed, c_in=c_in, c_last=c_last)
        _sync(batch)

    def costs(
        self, batch: StateBatch, active: np.ndarray, golds: Sequence[NerGold] | None = None
    ) -> np.ndarray:
        """(len(active), n_actions) float32: 0 for the actions that keep the best
        reachable score, positive for the others, INVALID_COST for invalid ones."""
        if golds is not None:
            self.set_gold(batch, golds)
        elif not batch.has_gold:
            raise DataError("ner: costs() needs the golds (set_gold or the golds argument)")
        if "c_closed" not in batch.arrays:
            self._cost_tables(batch)
        active = np.asarray(active, dtype=np.int64)
        pos = np.minimum(batch.pos[active], batch.lengths[active])  # final: sentinel column
        cost = batch.c_closed[active, pos]
        ent_start = batch.ent_start[active]
        open_rows = np.flatnonzero(ent_start >= 0)
        if len(open_rows):
            st, p = active[open_rows], pos[open_rows]
            x = batch.ent_label[st]
            aligned = ((batch.g_ent_start[st, p] == ent_start[open_rows]) & (batch.g_label[st, p] == x))
            aligned = aligned.astype(np.int64)
            cost[open_rows] = INVALID_COST
            cost[open_rows, 4 * x + IN] = batch.c_in[st, p, x, aligned]
            cost[open_rows, 4 * x + LAST] = batch.c_last[st, p, x, aligned]
        return cost

    # ------------------------------------------------------------------ output

    def entities(self, batch: StateBatch, state: int) -> list[tuple[int, int, str]]:
        """(start, end, label) of the entities state ``state`` has built so far."""
        hist = batch.history[state, : int(batch.lengths[state])]
        move, label = self.decode_actions(np.where(hist < 0, 0, hist))
        starts = np.flatnonzero((move == BEGIN) | (move == UNIT))
        ends = np.flatnonzero((move == LAST) | (move == UNIT)) + 1
        ends = ends[: len(starts)]
        starts = starts[: len(ends)]
        return [(int(a), int(b), self._labels[int(label[a])]) for a, b in zip(starts, ends, strict=True)]

    def set_annotations(self, batch: StateBatch, docs: Sequence[Doc]) -> None:
        """Write each state's entities onto its Doc. The IOB and type columns of the
        whole batch are computed at once and written with ``doc.from_array``; a Doc
        that already has entities (e.g. from an entity ruler) keeps them, and the
        predicted ones that overlap them are dropped (``doc.set_ents``)."""
        if not len(docs):
            return
        # The type columns hold hashes each Doc's StringStore must resolve.
        for vocab in {id(d.vocab): d.vocab for d in docs}.values():
            for label in self._labels:
                vocab.strings.add(label)
        hist = batch.history
        move, label = self.decode_actions(np.where(hist < 0, 0, hist))
        iob = np.where((move == BEGIN) | (move == UNIT), 3, np.where(move == OUT, 2, 1))
        by_label = self._label_hash_array()
        types = np.where(move == OUT, 0, by_label[np.maximum(label, 0)]) if len(by_label) else np.zeros_like(move)
        cols = np.zeros((hist.shape[1], 4), dtype=np.int64)
        attrs = [A.ENT_IOB, A.ENT_TYPE, A.ENT_KB_ID, A.ENT_ID]
        for s, doc in enumerate(docs):
            n = len(doc)
            if not n:
                continue
            current = doc.to_array([A.ENT_IOB, A.ENT_TYPE]).reshape(-1, 2)
            if not ((current[:, 0] == 3) & (current[:, 1] != 0)).any():
                cols[:n, 0] = iob[s, :n]
                cols[:n, 1] = types[s, :n]
                doc.from_array(attrs, cols[:n])
                continue
            existing = list(doc.ents)
            taken = np.zeros(n, dtype=bool)
            for ent in existing:
                taken[ent.start : ent.end] = True
            found = [e for e in self.entities(batch, s) if not taken[e[0] : e[1]].any()]
            spans = existing + [Span(doc, a, b, label=lab) for a, b, lab in found]
            doc.set_ents(spans, default="outside")

    def _label_hash_array(self) -> np.ndarray:
        """The int64 string hash of each label, by label index."""
        table = self._label_hashes()
        out = np.zeros(len(self._labels), dtype=np.int64)
        for h, j in table.items():
            out[j] = h
        return out


def _sync(batch: StateBatch) -> None:
    """Expose the batch's arrays as attributes where StateBatch wants that done."""
    sync = getattr(batch, "sync", None)
    if sync is not None:
        sync()


def _entity_starts(move: np.ndarray) -> np.ndarray:
    """For each token inside a gold entity, the token where that entity begins."""
    n = len(move)
    idx = np.arange(n)
    is_start = (move == BEGIN) | (move == UNIT)
    inside = (move == BEGIN) | (move == IN) | (move == LAST) | (move == UNIT)
    last_start = np.maximum.accumulate(np.where(is_start, idx, -1)) if n else idx
    return np.where(inside, last_start, -1).astype(np.int64)


def _aligned_blocked(example: Example) -> np.ndarray:
    """Predicted tokens covering a blocked gold token (IOB "B" without a type)."""
    ref = example.reference
    arr = ref.to_array([A.ENT_IOB, A.ENT_TYPE])
    n_x = len(example.predicted)
    if not len(arr):
        return np.zeros(n_x, dtype=bool)
    blocked_y = (arr[:, 0] == 3) & (arr[:, 1] == 0)
    if not blocked_y.any():
        return np.zeros(n_x, dtype=bool)
    al = example.alignment
    if al.is_identity:
        return blocked_y.copy()
    out = np.zeros(n_x, dtype=bool)
    rows = np.repeat(np.arange(n_x), al.x2y.lengths)
    np.logical_or.at(out, rows, blocked_y[al.x2y.data])
    return out
