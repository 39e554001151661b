"""BILUO entity recognition as a transition system, stepped for a whole batch in numpy.

Every action consumes one token: ``O`` (outside), and per label ``B-X`` (begin a
multi-token entity), ``I-X`` (inside), ``L-X`` (last), ``U-X`` (a one-token entity).
Action ids: 0 is ``O``; label ``j`` owns ids ``4j+1 .. 4j+4`` for B, I, L, U, so a new
label appends its four actions at the end and the learned output rows keep their ids.

A batch of states is a handful of arrays (buffer position, open entity start and
label) indexed by state; the actions taken are written into one array over the packed
tokens of the batch, from which ``set_annotations`` reads the entities.

The dynamic oracle handles partial annotation: a token whose gold value is missing
("-") costs nothing whatever is done there, while a gold "O", a blocked token or a
negative span ("not an entity of this type", from ``incorrect_spans_key``) makes any
entity covering it cost. An action costs one per gold entity it makes unreachable and
one when it commits to a wrong entity over annotated tokens; ``costs`` returns them
relative to the cheapest valid action, so there is always a zero-cost action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from treadle.errors import DataError
from treadle.tokens import attrs as A

# Gold moves per token (int8); MISSING: nothing is known.
MISSING, OUT, BEGIN, IN, LAST, UNIT = -1, 0, 1, 2, 3, 4
MOVE_NAMES = {OUT: "O", BEGIN: "B", IN: "I", LAST: "L", UNIT: "U"}
_LETTER_TO_MOVE = {"B": BEGIN, "I": IN, "L": LAST, "U": UNIT}
INVALID_COST = 1e6


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


@dataclass
class NerStateBatch:
    """All states of a batch. ``offsets``/``lengths`` locate each state's Doc in the
    packed token matrix; ``pos`` is the next token, ``ent_start``/``ent_label`` the
    open entity (-1 when none); ``history`` holds the action taken at every packed
    token (-1 not yet)."""

    offsets: np.ndarray
    lengths: np.ndarray
    pos: np.ndarray
    ent_start: np.ndarray
    ent_label: np.ndarray
    history: np.ndarray
    doc_index: np.ndarray
    # Gold packed over the batch's tokens, built once from the golds given to costs().
    _packed: dict[int, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.pos)


class BiluoSystem:
    """BILUO moves over a fixed, growing list of entity labels."""

    name = "ner"

    def __init__(self, labels: Iterable[str] = (), *, incorrect_spans_key: str | None = None) -> None:
        self._labels: list[str] = []
        self._label_index: dict[str, int] = {}
        self.incorrect_spans_key = incorrect_spans_key
        for label in labels:
            self.add_label(label)

    # ------------------------------------------------------------------ labels / actions

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._labels)

    def add_label(self, label: str) -> bool:
        """Add ``label`` (its four actions go at the end); False if already known."""
        if not isinstance(label, str) or not label or label in ("O", "-"):
            raise DataError(f"ner: invalid entity label {label!r}")
        if label in self._label_index:
            return False
        self._label_index[label] = len(self._labels)
        self._labels.append(label)
        return True

    @property
    def n_actions(self) -> int:
        return 1 + 4 * len(self._labels)

    @property
    def action_names(self) -> list[str]:
        names = ["O"]
        for label in self._labels:
            names.extend(f"{MOVE_NAMES[m]}-{label}" for m in (BEGIN, IN, LAST, UNIT))
        return names

    def labels_from_examples(self, examples: Iterable[Any]) -> list[str]:
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

    def init_batch(
        self,
        docs: Sequence[Any],
        offsets: np.ndarray | Sequence[int] | None = None,
        *,
        starts: np.ndarray | Sequence[int] | None = None,
        doc_index: np.ndarray | Sequence[int] | None = None,
    ) -> NerStateBatch:
        """One state per Doc (or per ``doc_index`` entry, starting at ``starts``: the
        pieces of a long Doc cut for training). ``offsets``: each Doc's first row in
        the packed token matrix (defaults to the cumulative lengths)."""
        lengths = np.array([len(d) for d in docs], dtype=np.int64)
        if offsets is None:
            offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(docs) else np.zeros(0)
        offsets = np.asarray(offsets, dtype=np.int64)
        idx = np.arange(len(docs)) if doc_index is None else np.asarray(doc_index, dtype=np.int64)
        n_total = int((offsets + lengths).max()) if len(docs) else 0
        n = len(idx)
        pos = np.zeros(n, dtype=np.int64) if starts is None else np.asarray(starts, dtype=np.int64).copy()
        return NerStateBatch(
            offsets=offsets[idx],
            lengths=lengths[idx],
            pos=pos,
            ent_start=np.full(n, -1, dtype=np.int64),
            ent_label=np.full(n, -1, dtype=np.int64),
            history=np.full(n_total, -1, dtype=np.int64),
            doc_index=idx,
        )

    def is_final(self, batch: NerStateBatch) -> np.ndarray:
        return batch.pos >= batch.lengths

    def n_features(self, state_type: str = "ner", extra_state_tokens: bool = False) -> int:
        return 6 if extra_state_tokens else 3

    def features(self, batch: NerStateBatch, active: np.ndarray, extra_state_tokens: bool = False) -> np.ndarray:
        """Packed-matrix rows of the feature tokens, -1 where there is none: the next
        token, the one before it, the open entity's first token (and with extra tokens
        the two after the next one and the one two before)."""
        active = np.asarray(active, dtype=np.int64)
        pos = batch.pos[active]
        off = batch.offsets[active]
        n = batch.lengths[active]
        start = batch.ent_start[active]

        def row(i: np.ndarray) -> np.ndarray:
            return np.where((i >= 0) & (i < n), off + i, -1)

        cols = [row(pos), row(pos - 1), np.where(start >= 0, off + start, -1)]
        if extra_state_tokens:
            cols += [row(pos + 1), row(pos + 2), row(pos - 2)]
        return np.stack(cols, axis=1).astype(np.int64)

    def valid_mask(self, batch: NerStateBatch, active: np.ndarray) -> np.ndarray:
        """(len(active), n_actions) bool: no I/L without an open entity, I/L keep the
        open label and an open entity must continue or end, no B or I at the last
        token, nothing after the last token."""
        active = np.asarray(active, dtype=np.int64)
        k, n_labels = len(active), len(self._labels)
        pos = batch.pos[active]
        live = pos < batch.lengths[active]
        has_next = pos + 1 < batch.lengths[active]
        open_ = batch.ent_start[active] >= 0
        mask = np.zeros((k, self.n_actions), dtype=bool)
        closed = live & ~open_
        mask[:, 0] = closed
        blocks = np.zeros((k, n_labels, 4), dtype=bool)
        blocks[:, :, BEGIN - 1] = (closed & has_next)[:, None]
        blocks[:, :, UNIT - 1] = closed[:, None]
        rows = np.flatnonzero(live & open_)
        lab = batch.ent_label[active][rows]
        blocks[rows, lab, IN - 1] = has_next[rows]
        blocks[rows, lab, LAST - 1] = True
        mask[:, 1:] = blocks.reshape(k, 4 * n_labels)
        return mask

    def apply(self, batch: NerStateBatch, active: np.ndarray, actions: np.ndarray) -> None:
        active = np.asarray(active, dtype=np.int64)
        move, label = self.decode_actions(actions)
        pos = batch.pos[active]
        batch.history[batch.offsets[active] + pos] = np.asarray(actions, dtype=np.int64)
        begins = move == BEGIN
        ends = (move == LAST) | (move == UNIT) | (move == OUT)
        batch.ent_start[active[begins]] = pos[begins]
        batch.ent_label[active[begins]] = label[begins]
        batch.ent_start[active[ends]] = -1
        batch.ent_label[active[ends]] = -1
        batch.pos[active] = pos + 1

    # ------------------------------------------------------------------ gold

    def make_gold(self, example: Any) -> NerGold:
        """The Example's entities on its predicted tokens. Missing values stay missing;
        entities of labels this system doesn't know are treated as missing."""
        _, tags = example.get_aligned_ents_and_ner()
        n = len(tags)
        move = np.full(n, MISSING, dtype=np.int8)
        label = np.full(n, -1, dtype=np.int64)
        for i, tag in enumerate(tags):
            if tag == "O":
                move[i] = OUT
            elif tag and tag != "-":
                j = self._label_index.get(tag[2:])
                if j is not None:
                    move[i] = _LETTER_TO_MOVE[tag[0]]
                    label[i] = j
        forbid = (move == OUT) | _aligned_blocked(example)
        ent_start = _entity_starts(move)
        neg = None
        key = self.incorrect_spans_key
        if key is not None and key in example.reference.spans:
            spans = example.get_aligned_spans_y2x(example.reference.spans[key], allow_overlap=True)
            neg = np.zeros((n, len(self._labels)), dtype=bool)
            for span in spans:
                j = self._label_index.get(span.label_)
                if j is not None:
                    neg[span.start : span.end, j] = True
        return NerGold(move=move, label=label, ent_start=ent_start, forbid=forbid, neg=neg)

    def gold_from_tags(self, tags: Sequence[str]) -> NerGold:
        """A gold built from BILUO tags directly ("-" missing), for tests and tools."""
        move = np.full(len(tags), MISSING, dtype=np.int8)
        label = np.full(len(tags), -1, dtype=np.int64)
        for i, tag in enumerate(tags):
            if tag == "O":
                move[i] = OUT
            elif tag not in ("-", "", None):
                move[i] = _LETTER_TO_MOVE[tag[0]]
                label[i] = self._label_index[tag[2:]]
        return NerGold(move=move, label=label, ent_start=_entity_starts(move), forbid=move == OUT)

    def _pack(self, batch: NerStateBatch, golds: Sequence[NerGold]) -> dict[str, np.ndarray]:
        """Gold arrays over the batch's packed tokens (one gold per Doc, or one per
        state: pieces of a Doc share their Doc's gold). Cached on the batch."""
        cached = batch._packed.get(id(golds))
        if cached is not None and cached["golds"] is golds:
            return cached
        n_total = len(batch.history)
        n_labels = len(self._labels)
        move = np.full(n_total + 1, MISSING, dtype=np.int8)  # +1: a sentinel after the end
        label = np.full(n_total + 1, -1, dtype=np.int64)
        ent_start = np.full(n_total + 1, -1, dtype=np.int64)
        forbid = np.zeros(n_total + 1, dtype=bool)
        neg = None
        n_docs = int(batch.doc_index.max(initial=-1)) + 1
        if len(golds) == n_docs:
            first = {}
            for s, d in enumerate(batch.doc_index.tolist()):
                first.setdefault(d, s)
            pairs = [(golds[d], s) for d, s in first.items()]
        elif len(golds) == len(batch):
            pairs = [(golds[s], s) for s in range(len(batch))]
        else:
            raise DataError(f"ner: {len(golds)} golds for {n_docs} Docs in {len(batch)} states")
        for gold, s in pairs:
            off, n = int(batch.offsets[s]), int(batch.lengths[s])
            if len(gold) != n:
                raise DataError(f"ner: gold for {len(gold)} tokens given for a Doc of {n} tokens")
            move[off : off + n] = gold.move
            label[off : off + n] = gold.label
            ent_start[off : off + n] = np.where(gold.ent_start >= 0, gold.ent_start + off, -1)
            forbid[off : off + n] = gold.forbid
            if gold.neg is not None and gold.neg.size:
                if neg is None:
                    neg = np.zeros((n_total + 1, n_labels), dtype=bool)
                neg[off : off + n, : gold.neg.shape[1]] = gold.neg
        packed = {"golds": golds, "move": move, "label": label, "ent_start": ent_start,
                  "forbid": forbid, "neg": neg}  # fmt: skip
        batch._packed = {id(golds): packed}
        return packed

    def costs(self, batch: NerStateBatch, active: np.ndarray, golds: Sequence[NerGold]) -> np.ndarray:
        """(len(active), n_actions) float32: 0 for the actions that keep the best
        reachable score, positive for the others, INVALID_COST for invalid ones."""
        active = np.asarray(active, dtype=np.int64)
        g = self._pack(batch, golds)
        k, n_labels = len(active), len(self._labels)
        pos = batch.pos[active]
        rows = batch.offsets[active] + pos
        end = batch.offsets[active] + batch.lengths[active]
        nxt = np.where(pos + 1 < batch.lengths[active], rows + 1, len(g["move"]) - 1)
        rows_c = np.minimum(rows, len(g["move"]) - 1)
        mv, lb = g["move"][rows_c].astype(np.int64), g["label"][rows_c]
        mv_n = g["move"][nxt].astype(np.int64)
        mv_n = np.where(nxt < end, mv_n, MISSING)
        labs = np.arange(n_labels)[None, :]
        forbid_here = g["forbid"][rows_c][:, None] | np.zeros((1, n_labels), dtype=bool)
        forbid_next = (g["forbid"][nxt] & (nxt < end))[:, None] | np.zeros((1, n_labels), dtype=bool)
        if g["neg"] is not None:
            forbid_here = forbid_here | g["neg"][rows_c, :n_labels]
            forbid_next = forbid_next | (g["neg"][nxt, :n_labels] & (nxt < end)[:, None])
        starts_here = ((mv == BEGIN) | (mv == UNIT)).astype(np.float32)
        starts_next = ((mv_n == BEGIN) | (mv_n == UNIT)).astype(np.float32)
        annotated = mv != MISSING
        cost = np.zeros((k, self.n_actions), dtype=np.float32)
        blocks = np.zeros((k, n_labels, 4), dtype=np.float32)
        # No open entity: O loses a gold entity starting here; U/B are right only on
        # the matching gold U/B, else they lose what starts here and add a wrong entity.
        cost[:, 0] = starts_here
        wrong_here = (annotated[:, None] | forbid_here).astype(np.float32)
        is_unit = (mv == UNIT)[:, None] & (lb[:, None] == labs)
        is_begin = (mv == BEGIN)[:, None] & (lb[:, None] == labs)
        blocks[:, :, UNIT - 1] = np.where(is_unit, 0.0, starts_here[:, None] + wrong_here)
        # B on a missing token commits the next token too: charge what lies there.
        ahead = np.where(annotated, 0.0, starts_next)[:, None] + (~annotated[:, None] & forbid_next)
        blocks[:, :, BEGIN - 1] = np.where(is_begin, 0.0, starts_here[:, None] + wrong_here + ahead)
        # An open entity (label x, from token s): it matches the gold entity when that
        # one began at s with label x; continuing past its last token or ending it
        # early loses it. I also commits the next token.
        open_rows = np.flatnonzero(batch.ent_start[active] >= 0)
        if len(open_rows):
            x = batch.ent_label[active][open_rows]
            s_row = batch.offsets[active][open_rows] + batch.ent_start[active][open_rows]
            r = rows_c[open_rows]
            m = mv[open_rows]
            aligned = (g["ent_start"][r] == s_row) & (lb[open_rows] == x)
            fh = forbid_here[open_rows, x].astype(np.float32)
            fn = forbid_next[open_rows, x].astype(np.float32)
            sh = starts_here[open_rows]
            cost_in = sh + fh + (aligned & (m == LAST)) + starts_next[open_rows] + fn
            cost_last = sh + fh + (aligned & (m == IN))
            blocks[open_rows, x, IN - 1] = cost_in
            blocks[open_rows, x, LAST - 1] = cost_last
        cost[:, 1:] = blocks.reshape(k, 4 * n_labels)
        valid = self.valid_mask(batch, active)
        cost = np.where(valid, cost, np.float32(INVALID_COST))
        best = cost.min(axis=1, initial=INVALID_COST)
        cost = np.where(valid, cost - np.minimum(best, INVALID_COST - 1)[:, None], cost)
        return cost.astype(np.float32)

    def oracle_actions(self, doc: Any, gold: NerGold) -> list[int]:
        """The cheapest action sequence for ``doc`` (ties: the lowest action id)."""
        batch = self.init_batch([doc])
        out = []
        active = np.array([0])
        while not self.is_final(batch)[0]:
            action = int(np.argmin(self.costs(batch, active, [gold])[0]))
            out.append(action)
            self.apply(batch, active, np.array([action]))
        return out

    # ------------------------------------------------------------------ output

    def entities(self, batch: NerStateBatch, state: int) -> list[tuple[int, int, str]]:
        """(start, end, label) of the entities state ``state`` has built so far."""
        off, n = int(batch.offsets[state]), int(batch.lengths[state])
        hist = batch.history[off : off + n]
        move, label = self.decode_actions(np.where(hist < 0, 0, hist))
        starts = np.flatnonzero((move == BEGIN) | (move == UNIT))
        ends = np.flatnonzero((move == LAST) | (move == UNIT)) + 1
        ends = ends[: len(starts)]
        starts = starts[: len(ends)]
        return [(int(a), int(b), self._labels[int(label[a])]) for a, b in zip(starts, ends, strict=True)]

    def set_annotations(self, batch: NerStateBatch, docs: Sequence[Any]) -> None:
        """Write each state's entities onto its Doc (``doc.set_ents``). Entities already
        on the Doc (e.g. from an entity ruler) are kept; predicted ones that overlap
        them are dropped."""
        from treadle.tokens import Span

        for s, doc in enumerate(docs):
            found = self.entities(batch, s)
            existing = list(doc.ents)
            if existing:
                taken = np.zeros(len(doc), dtype=bool)
                for ent in existing:
                    taken[ent.start : ent.end] = True
                found = [e for e in found if not taken[e[0] : e[1]].any()]
            spans = existing + [Span(doc, a, b, label=lab) for a, b, lab in found]
            doc.set_ents(spans, default="outside")


def _entity_starts(move: np.ndarray) -> np.ndarray:
    """For each token inside a gold entity, the token where that entity begins."""
    n = len(move)
    idx = np.arange(n)
    is_start = (move == BEGIN) | (move == UNIT)
    inside = (move == BEGIN) | (move == IN) | (move == LAST) | (move == UNIT)
    last_start = np.maximum.accumulate(np.where(is_start, idx, -1)) if n else idx
    return np.where(inside, last_start, -1).astype(np.int64)


def _aligned_blocked(example: Any) -> np.ndarray:
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
