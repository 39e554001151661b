"""Arc-eager dependency parsing with labelled arcs and sentence boundaries, batched.

Actions (ids): 0 ``SHIFT`` (push the buffer front b), 1 ``REDUCE`` (pop the stack top
s; a headless s may only be popped once the buffer is empty, and becomes a root),
2 ``BREAK`` (b starts a new sentence: the stack is emptied, its headless tokens become
roots of the sentence that ends), then per label ``LEFT-x`` (s <- b, pop s) and
``RIGHT-x`` (s -> b, push b): label j owns ids 3 + 2j and 4 + 2j, so a new label
appends its two actions at the end.

Preconditions: SHIFT needs a buffer; REDUCE a stack, and s attached or the buffer
empty; LEFT needs s headless and a buffer; RIGHT a stack and a buffer; BREAK a stack,
a buffer, and b without left dependents (arcs never cross a sentence boundary).

States are arrays over (n_states, max_len + 1): the stack, heads, labels, the two
leftmost and two rightmost dependents of each token (features), sentence starts.

The dynamic oracle follows Goldberg & Nivre (2012): an action costs the number of
gold arcs it makes unreachable (plus one for a wrong label on the arc it builds, one
for a gold root that gets a head, one for a gold sentence boundary it rules out or
a boundary where gold has none). Gold heads that are missing (partial annotation)
and unknown sentence starts cost nothing. Costs are computed for all active states
at once with array operations over the tokens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.pipeline._internal.transition.system import INVALID_COST, StateBatch, TransitionSystem
from treadle.tokens import attrs as A
from treadle.tokens import nonproj

if TYPE_CHECKING:
    from treadle.tokens import Doc
    from treadle.tokens.example import Example

SHIFT, REDUCE, BREAK, LEFT, RIGHT = 0, 1, 2, 3, 4
_DEPTHS = np.arange(3, dtype=np.int64)[None, :]
_L1R1 = np.array([0, 2])
_L2R2 = np.array([1, 3])
ROOT_LABEL = "ROOT"
# Label that rare labels collapse into (parser's min_action_freq).
BACKOFF_LABEL = "dep"


@dataclass
class ParseGold:
    """Gold parse of one Doc on its predicted tokens: ``heads`` (absolute, a root points
    at itself, -1 missing), ``labels`` (label index, -1 unknown), ``sent_starts``
    (1 start, -1 not a start, 0 unknown)."""

    heads: np.ndarray
    labels: np.ndarray
    sent_starts: np.ndarray

    def __len__(self) -> int:
        return len(self.heads)


def gold_label_strings(example: Example, projectivize: bool = True) -> tuple[list[Any], list[Any]]:
    """(heads, labels) of the gold parse on the predicted tokens, non-projective arcs
    lifted; None where unknown."""
    return example.get_aligned_parse(projectivize=projectivize)


class ArcEager(TransitionSystem):
    """Arc-eager transitions over a growing list of arc labels."""

    name = "parser"
    # costs() marks exactly the invalid actions with INVALID_COST (no valid_mask needed).
    costs_imply_valid = True
    # Training pieces come from walkers inside the rollout (TransitionSystem.training_batch).
    walk_to_cut = True
    fixed_actions = ("SHIFT", "REDUCE", "BREAK")
    label_action_prefixes = ("LEFT", "RIGHT")

    def __init__(self, labels: Iterable[str] = (), *, root_label: str = ROOT_LABEL) -> None:
        super().__init__(labels)
        self.root_label = root_label

    # ------------------------------------------------------------------ labels

    def label_counts(self, examples: Iterable[Example]) -> tuple[Counter, Counter]:
        """(arc label counts after lifting, root label counts) over the examples."""
        arcs: Counter = Counter()
        roots: Counter = Counter()
        for eg in examples:
            heads, deps = gold_label_strings(eg)
            for i, (h, d) in enumerate(zip(heads, deps, strict=True)):
                if h is None or not d:
                    continue
                if h == i:
                    roots[d] += 1
                else:
                    arcs[d] += 1
        return arcs, roots

    def labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        arcs, _ = self.label_counts(examples)
        return sorted(arcs)

    # ------------------------------------------------------------------ states

    def init_batch(
        self,
        docs: Sequence[Doc],
        offsets: np.ndarray | Sequence[int] | None = None,
        *,
        doc_index: np.ndarray | Sequence[int] | None = None,
    ) -> StateBatch:
        lengths = np.array([len(d) for d in docs], dtype=np.int64)
        if offsets is None:
            offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(docs) else np.zeros(0)
        offsets = np.asarray(offsets, dtype=np.int64)
        idx = np.arange(len(docs)) if doc_index is None else np.asarray(doc_index, dtype=np.int64)
        batch = StateBatch(offsets[idx], lengths[idx], idx)
        n, width = len(idx), batch.max_len + 1
        arr = batch.arrays
        arr["stack"] = np.zeros((n, width), dtype=np.int64)
        arr["stack_len"] = np.zeros(n, dtype=np.int64)
        arr["buf"] = np.zeros(n, dtype=np.int64)
        arr["on_stack"] = np.zeros((n, width), dtype=bool)
        for key in ("heads", "labels"):
            arr[key] = np.full((n, width), -1, dtype=np.int64)
        # Per token: leftmost, second leftmost, rightmost, second rightmost dependent.
        arr["kids"] = np.full((n, width, 4), -1, dtype=np.int64)
        arr["sent_start"] = np.zeros((n, width), dtype=np.int8)
        arr["sent_start"][batch.lengths > 0, 0] = 1
        batch.sync()
        return batch

    def is_final(self, batch: StateBatch) -> np.ndarray:
        return (batch.buf >= batch.lengths) & (batch.stack_len == 0)

    def _stack_item(self, batch: StateBatch, rows: np.ndarray, depth: int) -> np.ndarray:
        """Local index of the stack item ``depth`` below the top (-1 when none)."""
        sl = batch.stack_len[rows]
        pos = sl - 1 - depth
        got = batch.stack[rows, np.maximum(pos, 0)]
        return np.where(pos >= 0, got, -1)

    # ------------------------------------------------------------------ features

    def n_features(self, state_type: str = "parser", extra_state_tokens: bool = False) -> int:
        return 17 if extra_state_tokens else 13

    def features(self, batch: StateBatch, active: np.ndarray, extra_state_tokens: bool = False) -> np.ndarray:
        """Rows of: s0 s1 s2 b0 b1 b2, s0's two leftmost and two rightmost dependents,
        s1's leftmost and rightmost, b0's leftmost (with extra tokens: b0's second
        leftmost, s1's second leftmost/rightmost, s0's head)."""
        rows = np.asarray(active, dtype=np.int64)
        n = batch.lengths[rows][:, None]
        pos = batch.stack_len[rows][:, None] - 1 - _DEPTHS
        stack = np.where(pos >= 0, batch.stack[rows[:, None], np.maximum(pos, 0)], -1)
        buf = batch.buf[rows][:, None] + _DEPTHS
        buf = np.where(buf < n, buf, -1)
        toks = np.concatenate([stack[:, :2], buf[:, :1]], axis=1)  # s0 s1 b0
        kids = batch.kids[rows[:, None], np.maximum(toks, 0)]  # (k, 3, 4)
        kids[toks < 0] = -1
        cols = [stack, buf, kids[:, 0], kids[:, 1, _L1R1], kids[:, 2, :1]]
        if extra_state_tokens:
            s0 = toks[:, 0]
            head = np.where(s0 >= 0, batch.heads[rows, np.maximum(s0, 0)], -1)
            cols += [kids[:, 2, 1:2], kids[:, 1, _L2R2], head[:, None]]
        local = np.concatenate(cols, axis=1)
        return np.where(local >= 0, local + batch.offsets[rows, None], -1)

    # ------------------------------------------------------------------ moves

    def _basics(self, batch: StateBatch, rows: np.ndarray) -> dict[str, np.ndarray]:
        n = batch.lengths[rows]
        sl = batch.stack_len[rows]
        buf = batch.buf[rows]
        has_s = sl > 0
        has_b = buf < n
        s0 = self._stack_item(batch, rows, 0)
        s0c = np.maximum(s0, 0)
        bc = np.minimum(buf, batch.stack.shape[1] - 1)
        s0_headless = has_s & (batch.heads[rows, s0c] < 0)
        b_has_left = has_b & (batch.kids[rows, bc, 0] >= 0)
        return {"n": n, "sl": sl, "buf": buf, "has_s": has_s, "has_b": has_b, "s0": s0, "s0c": s0c,
                "bc": bc, "s0_headless": s0_headless, "b_has_left": b_has_left}  # fmt: skip

    def valid_mask(self, batch: StateBatch, active: np.ndarray) -> np.ndarray:
        rows = np.asarray(active, dtype=np.int64)
        return self._valid(self._basics(batch, rows), len(rows))

    def _valid(self, b: dict[str, np.ndarray], k: int) -> np.ndarray:
        fixed = np.empty((k, 3), dtype=bool)
        fixed[:, SHIFT] = b["has_b"]
        fixed[:, REDUCE] = b["has_s"] & (~b["s0_headless"] | ~b["has_b"])
        fixed[:, BREAK] = b["has_s"] & b["has_b"] & ~b["b_has_left"]
        left = b["has_s"] & b["has_b"] & b["s0_headless"]
        right = b["has_s"] & b["has_b"]
        return self._assemble(fixed, left, right, len(self._labels))

    @staticmethod
    def _assemble(fixed: np.ndarray, left: np.ndarray, right: np.ndarray, n_labels: int) -> np.ndarray:
        """(k, 3 + 2 * n_labels) from the fixed columns and per-label LEFT/RIGHT values
        (given per row (k,) or per row and label (k, n_labels))."""
        k = fixed.shape[0]
        out = np.empty((k, 3 + 2 * n_labels), dtype=fixed.dtype)
        out[:, :3] = fixed
        out[:, 3::2] = left if left.ndim == 2 else left[:, None]
        out[:, 4::2] = right if right.ndim == 2 else right[:, None]
        return out

    def apply(self, batch: StateBatch, active: np.ndarray, actions: np.ndarray) -> None:
        rows = np.asarray(active, dtype=np.int64)
        actions = np.asarray(actions, dtype=np.int64)
        rel = actions - 3
        is_arc = rel >= 0
        kind = np.where(is_arc, LEFT + (rel & 1), actions)
        label = rel >> 1
        sl = batch.stack_len[rows]
        s0 = batch.stack[rows, np.maximum(sl - 1, 0)]
        buf = batch.buf[rows]
        stack, sl_all, on_stack, kids = batch.stack, batch.stack_len, batch.on_stack, batch.kids

        if is_arc.any():
            # LEFT and RIGHT both set an arc: head and dependent by kind.
            m = np.flatnonzero(is_arc)
            left = kind[m] == LEFT
            r = rows[m]
            head = np.where(left, buf[m], s0[m])
            dep = np.where(left, s0[m], buf[m])
            batch.heads[r, dep] = head
            batch.labels[r, dep] = label[m]
            # Left dependents arrive nearest first (each new one is the leftmost), right
            # dependents left to right (each new one is the rightmost).
            slot = np.where(left, 0, 2)
            kids[r, head, slot + 1] = kids[r, head, slot]
            kids[r, head, slot] = dep
        push = (kind == SHIFT) | (kind == RIGHT)
        if push.any():
            r, b = rows[push], buf[push]
            stack[r, sl_all[r]] = b
            on_stack[r, b] = True
            sl_all[r] += 1
            batch.buf[r] += 1
        pop = (kind == REDUCE) | (kind == LEFT)
        if pop.any():
            r = rows[pop]
            on_stack[r, s0[pop]] = False
            sl_all[r] -= 1
        m = kind == BREAK
        if m.any():
            r = rows[m]
            # Clear the stack's tokens only: clearing the whole row cost O(Doc length)
            # per sentence, quadratic over a long Doc.
            depth = sl_all[r]
            held = np.arange(int(depth.max()))[None, :] < depth[:, None]
            which, pos = np.nonzero(held)
            on_stack[r[which], stack[r[which], pos]] = False
            sl_all[r] = 0
            batch.sent_start[r, buf[m]] = 1

    # ------------------------------------------------------------------ gold and oracle

    def make_gold(self, example: Example) -> ParseGold:
        heads, deps = gold_label_strings(example)
        n = len(heads)
        backoff = self.label_id(BACKOFF_LABEL)
        h = np.array([-1 if v is None else int(v) for v in heads], dtype=np.int64)
        lab = np.full(n, -1, dtype=np.int64)
        for i, d in enumerate(deps):
            if d is None or h[i] < 0 or h[i] == i:
                continue
            j = self.label_id(d)
            lab[i] = j if j >= 0 else backoff
        starts = _gold_sent_starts(example, h)
        return ParseGold(h, lab, starts)

    def set_gold(self, batch: StateBatch, golds: Sequence[ParseGold]) -> None:
        """Stack the golds (one per Doc, picked by ``batch.doc_index``) into the batch."""
        n, width = batch.n_states, batch.stack.shape[1]
        gh = np.full((n, width), -1, dtype=np.int64)
        gl = np.full((n, width), -1, dtype=np.int64)
        gs = np.zeros((n, width), dtype=np.int8)
        for s, d in enumerate(batch.doc_index.tolist()):
            g = golds[d]
            m = len(g)
            gh[s, :m] = g.heads
            gl[s, :m] = g.labels
            gs[s, :m] = g.sent_starts
        batch.arrays.update(gold_heads=gh, gold_labels=gl, gold_starts=gs)
        batch.sync()
        batch.has_gold = True

    def costs(self, batch: StateBatch, active: np.ndarray, golds: Sequence[ParseGold] | None = None) -> np.ndarray:
        if not batch.has_gold:
            if golds is None:
                raise ValueError("ArcEager.costs: no gold for this batch; pass golds")
            self.set_gold(batch, golds)
        rows = np.asarray(active, dtype=np.int64)
        k = len(rows)
        b = self._basics(batch, rows)
        ar = np.arange(k)
        width = batch.stack.shape[1]
        idx = np.arange(width)[None, :]
        n, buf, s0, s0c, bc = b["n"], b["buf"], b["s0"], b["s0c"], b["bc"]
        has_s, has_b = b["has_s"], b["has_b"]
        gh = batch.gold_heads[rows]
        on_s = batch.on_stack[rows]
        on_s_headless = on_s & (batch.heads[rows] < 0)
        bcol, ncol = buf[:, None], n[:, None]
        in_b = (idx >= bcol) & (idx < ncol)

        gh_s0 = np.where(has_s, gh[ar, s0c], -1)
        gl_s0 = batch.gold_labels[rows, s0c]
        gh_b = np.where(has_b, gh[ar, bc], -1)
        gl_b = batch.gold_labels[rows, bc]
        gs_b = batch.gold_starts[rows, bc]
        b_start = has_b & (gs_b == 1)
        b_not_start = has_b & (gs_b == -1)

        # Gold dependents of s0 still in the buffer (lost if s0 leaves the stack).
        s0_kids_in_b = np.where(has_s, ((gh == s0[:, None]) & in_b).sum(1), 0)
        # Headless stack tokens whose gold head is b (lost if b goes onto the stack).
        b_kids_on_s = np.where(has_b, ((gh == bcol) & on_s_headless).sum(1), 0)
        b_head_on_s = (gh_b >= 0) & on_s[ar, np.maximum(gh_b, 0)]
        b_head_reachable = (gh_b == buf) | ((gh_b > buf) & (gh_b < n)) | b_head_on_s
        s0_gold_root = has_s & (gh_s0 == s0)
        s0_head_later = (gh_s0 > buf) & (gh_s0 < n)

        shift = b_head_on_s.astype(np.int64) + b_kids_on_s + (b_start & has_s)
        left_base = s0_gold_root.astype(np.int64) + s0_head_later + s0_kids_in_b + b_start
        right_base = (b_head_reachable & (gh_b != s0)).astype(np.int64) + b_kids_on_s + b_start
        # Arcs between the stack and the buffer, all lost by a boundary: buffer tokens
        # whose gold head is on the stack, headless stack tokens whose head is in the buffer.
        cross_in = (in_b & (gh >= 0) & on_s[ar[:, None], np.maximum(gh, 0)]).sum(1)
        cross_out = (on_s_headless & (gh >= bcol) & (gh < ncol)).sum(1)
        brk = cross_in + cross_out + b_not_start

        n_labels = len(self._labels)
        lab_ids = np.arange(n_labels)[None, :]
        left_lab = ((gh_s0 == buf) & has_b & (gl_s0 >= 0))[:, None] & (gl_s0[:, None] != lab_ids)
        right_lab = ((gh_b == s0) & has_s & (gl_b >= 0))[:, None] & (gl_b[:, None] != lab_ids)
        both = has_s & has_b
        out = np.empty((k, 3 + 2 * n_labels), dtype=np.float32)
        out[:, SHIFT] = np.where(has_b, shift, INVALID_COST)
        out[:, REDUCE] = np.where(has_s & (~b["s0_headless"] | ~has_b), s0_kids_in_b, INVALID_COST)
        out[:, BREAK] = np.where(both & ~b["b_has_left"], brk, INVALID_COST)
        out[:, 3::2] = np.where((both & b["s0_headless"])[:, None], left_base[:, None] + left_lab, INVALID_COST)
        out[:, 4::2] = np.where(both[:, None], right_base[:, None] + right_lab, INVALID_COST)
        return out

    def max_steps(self, batch: StateBatch) -> np.ndarray:
        """Gold path length bound: each token is pushed and popped once, plus a BREAK
        per gold sentence boundary."""
        extra = (batch.gold_starts == 1).sum(1) if batch.has_gold else batch.lengths
        return 2 * batch.lengths + extra

    # ------------------------------------------------------------------ output

    def parse_of(self, batch: StateBatch, state: int) -> tuple[list[int], list[str], np.ndarray]:
        """(heads, labels, sentence starts) of a state: every sentence gets one root
        (further headless tokens attach to its first one as ``dep``)."""
        n = int(batch.lengths[state])
        heads = batch.heads[state, :n].copy()
        labs = batch.labels[state, :n]
        starts = batch.sent_start[state, :n] == 1
        if n:
            starts[0] = True
        sent_id = np.cumsum(starts) - 1
        roots = np.flatnonzero(heads < 0)
        labels = [self._labels[j] if j >= 0 else self.root_label for j in labs.tolist()]
        if len(roots):
            _, first = np.unique(sent_id[roots], return_index=True)
            main = np.full(int(sent_id[-1]) + 1, -1, dtype=np.int64)
            main[sent_id[roots[first]]] = roots[first]
            for r in roots.tolist():
                m = int(main[sent_id[r]])
                if m == r or m < 0:
                    heads[r] = r
                    labels[r] = self.root_label
                else:
                    heads[r] = m
                    labels[r] = BACKOFF_LABEL
        return heads.tolist(), labels, starts

    def set_annotations(self, batch: StateBatch, docs: Sequence[Doc]) -> None:
        strings = None
        for s in range(batch.n_states):
            doc = docs[int(batch.doc_index[s])]
            n = len(doc)
            if not n:
                continue
            heads, labels, starts = self.parse_of(batch, s)
            if any(nonproj.DELIMITER in lab for lab in labels):
                heads, labels = nonproj.deprojectivize(heads, labels)
            strings = doc.vocab.strings
            arr = np.empty((n, 3), dtype=np.int64)
            arr[:, 0] = np.asarray(heads, dtype=np.int64) - np.arange(n)
            arr[:, 1] = np.asarray([strings.add(lab) for lab in labels], dtype=np.uint64).view(np.int64)
            arr[:, 2] = np.where(starts, 1, -1)
            doc.from_array([A.HEAD, A.DEP, A.SENT_START], arr)


def _gold_sent_starts(example: Example, heads: np.ndarray) -> np.ndarray:
    """Gold sentence starts on the predicted tokens: 1, -1, or 0 (unknown). A complete
    gold tree sets the reference's SENT_START values, so they are read from there."""
    n = len(heads)
    out = np.zeros(n, dtype=np.int8)
    if not n:
        return out
    vals = example.get_aligned_sent_starts()
    out[:] = [0 if v is None else int(v) for v in vals]
    out[0] = 1
    return out
