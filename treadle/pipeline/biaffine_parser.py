"""``biaffine_parser``: graph-based labelled dependency parsing (Dozat & Manning, 2017).

The network is ``treadle.BiaffineParser.v1`` (treadle/ml/architectures/biaffine.py):
arc scores for every (dependent, head) pair of a segment, with a virtual ROOT, and
label scores for given arcs. Trees come from maximum spanning tree decoding
(Chu-Liu/Edmonds, ``_internal/mst.py``), so non-projective trees need no lifting.

Segments. Arcs are scored inside segments of at most ``max_sentence_length`` tokens,
so memory grows with the Doc's length, not with its square:

- Training: the gold sentences (the reference's sentence starts, projected onto the
  predicted tokens through the Example's alignment) are packed, in order, into
  segments of up to ``max_sentence_length`` tokens; a longer sentence is cut into
  pieces. Every gold root is an arc from ROOT, so a segment of several sentences
  teaches the model to find several roots and no arcs between sentences, which is
  what prediction on raw text needs. Heads that are missing, unaligned or outside the
  segment are masked; labels are learned on the gold arcs.
- Prediction on a Doc with sentence boundaries (a senter or sentencizer ran first):
  each sentence is one segment, decoded with exactly one ROOT child. A sentence
  longer than ``max_sentence_length`` is decoded in pieces whose roots attach to the
  first piece's root.
- Prediction on a Doc without sentence boundaries: the parser segments it. A window
  of up to ``max_sentence_length`` tokens from a cursor is decoded with ROOT allowed
  several children, then cut into the smallest contiguous pieces that no arc crosses;
  each piece is a sentence, re-decoded (from the same scores) with a single root when
  it has several. Unless the window reaches the Doc's end, its last piece may be a
  sentence cut short, so it is decoded again at the start of the next window (when it
  starts at least a quarter window in; otherwise the window boundary stands as a
  sentence boundary). All Docs of a batch step their windows together.

Labels are the argmax of the label scores for the chosen head; a root gets the root
label (the most frequent root label in training, ``ROOT`` by default, as ``parser``),
which is never given to any other token. Scores and sentence boundaries are those of
``parser``: ``dep_uas``, ``dep_las``, ``dep_las_per_type`` and ``sents_p/r/f``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from treadle.errors import ConfigError, PipelineError
from treadle.ml.architectures.biaffine import BiaffineModel, TokenReps, segment_rows
from treadle.ml.dropout import set_dropout_rate
from treadle.pipeline._internal.labels import IGNORE
from treadle.pipeline._internal.mst import mst_heads, uncrossed_segments
from treadle.pipeline._internal.trainable import TrainablePipe, _check_examples
from treadle.pipeline._internal.transition.arc_eager import BACKOFF_LABEL, ROOT_LABEL
from treadle.pipeline.factories import factory
from treadle.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL
from treadle.scoring import Scorer
from treadle.tokens import attrs as A

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example

DEFAULT_BIAFFINE_MODEL: dict[str, Any] = {
    "@architectures": "treadle.BiaffineParser.v1",
    "arc_width": 256,
    "label_width": 64,
    "nO": None,
    "tok2vec": dict(DEFAULT_TOK2VEC_MODEL),
}

# Arc-score cells (segments x L x (L + 1)) scored in one call, and arcs labelled in
# one call: they bound prediction memory on large batches and long Docs.
SCORE_CELLS = 1 << 22
LABEL_CHUNK = 2048


@dataclass
class ParseGold:
    """The gold parse of a batch on its predicted tokens, packed: ``heads`` (packed row
    of the head, the token's own row for a root, -1 missing), ``labels`` (label index,
    -1 unknown or a root) and ``sent_starts`` (bool)."""

    heads: np.ndarray
    labels: np.ndarray
    sent_starts: np.ndarray


@dataclass
class TrainScores:
    """What ``get_loss`` needs: the segments' rows, the scores and the gold."""

    reps: TokenReps
    arcs: torch.Tensor
    rows: np.ndarray
    gold: ParseGold


@dataclass
class Parse:
    """Decoded parses of a batch, one entry per Doc: absolute heads (a root points at
    itself), label indices (-1 for a root) and sentence starts."""

    heads: list[np.ndarray]
    labels: list[np.ndarray]
    sent_starts: list[np.ndarray]


def doc_offsets(docs: list[Doc]) -> np.ndarray:
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(docs) else lengths


def pack_sentences(starts: np.ndarray, max_len: int) -> list[tuple[int, int]]:
    """Consecutive sentences (``starts``: bool per token) packed into ``(start, end)``
    segments of at most ``max_len`` tokens; longer sentences are cut into pieces."""
    n = len(starts)
    if not n:
        return []
    bounds = [*np.flatnonzero(starts).tolist(), n]
    if bounds[0] != 0:
        bounds.insert(0, 0)
    out: list[tuple[int, int]] = []
    cur = 0
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        if e - cur <= max_len:
            continue
        if s > cur:
            out.append((cur, s))
            cur = s
        while e - cur > max_len:
            out.append((cur, cur + max_len))
            cur += max_len
    out.append((cur, n))
    return out


def preset_sent_starts(doc: Doc) -> np.ndarray | None:
    """The Doc's own sentence starts (a senter or sentencizer set them), or None."""
    col = doc.to_array(A.SENT_START)
    if len(col) < 2 or not col[1:].any():
        return None
    starts = col == 1
    starts[0] = True
    return starts


class BiaffineParser(TrainablePipe):
    """Assigns ``token.head``, ``token.dep_`` and sentence boundaries."""

    model: BiaffineModel

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "biaffine_parser",
        *,
        max_sentence_length: int = 256,
        root_label: str = ROOT_LABEL,
    ) -> None:
        if int(max_sentence_length) < 2:
            raise ConfigError(
                f"Component {name!r}: max_sentence_length must be at least 2, got {max_sentence_length}"
            )
        if not isinstance(model, BiaffineModel):
            raise ConfigError(
                f"Component {name!r}: the model must be a treadle.BiaffineParser.v1 network, "
                f"got {type(model).__name__}"
            )
        super().__init__(
            vocab, model, name, max_sentence_length=int(max_sentence_length), root_label=root_label
        )

    @property
    def root_label(self) -> str:
        return str(self.cfg.get("root_label", ROOT_LABEL))

    @property
    def max_sentence_length(self) -> int:
        return int(self.cfg.get("max_sentence_length", 256))

    # ------------------------------------------------------------------ labels and gold

    def _labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        arcs: Counter = Counter()
        roots: Counter = Counter()
        for eg in examples:
            heads, deps = eg.get_aligned_parse(projectivize=False)
            for i, (h, d) in enumerate(zip(heads, deps, strict=True)):
                if h is None or not d:
                    continue
                (roots if h == i else arcs)[d] += 1
        if roots:
            self.cfg["root_label"] = roots.most_common(1)[0][0]
        arcs.pop(self.root_label, None)
        return sorted(arcs)

    def _gold(self, examples: list[Example]) -> ParseGold:
        index = {label: i for i, label in enumerate(self.labels)}
        heads, labels, starts = [], [], []
        offset = 0
        for eg in examples:
            h_list, d_list = eg.get_aligned_parse(projectivize=False)
            n = len(h_list)
            h = np.fromiter((-1 if v is None else v for v in h_list), dtype=np.int64, count=n)
            lab = np.fromiter(
                (index.get(d, -1) if d else -1 for d in d_list), dtype=np.int64, count=n
            )
            own = np.arange(n, dtype=np.int64)
            lab[h == own] = -1
            heads.append(np.where(h >= 0, h + offset, -1))
            labels.append(lab)
            s = np.asarray([v == 1 for v in eg.get_aligned_sent_starts()], dtype=bool)
            if n:
                s[0] = True
            starts.append(s)
            offset += n
        cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)  # noqa: E731
        return ParseGold(cat(heads, np.int64), cat(labels, np.int64), cat(starts, bool))

    def _training_rows(self, examples: list[Example], gold: ParseGold) -> np.ndarray:
        starts, lengths = [], []
        offset = 0
        for eg in examples:
            n = len(eg.predicted)
            for s, e in pack_sentences(
                gold.sent_starts[offset : offset + n], self.max_sentence_length
            ):
                starts.append(offset + s)
                lengths.append(e - s)
            offset += n
        return segment_rows(np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64))

    # ------------------------------------------------------------------ training

    def forward_loss(
        self, examples: Iterable[Example], *, drop: float = 0.0, set_annotations: bool = False
    ) -> torch.Tensor | None:
        examples = _check_examples(examples, self.name)
        if not self._initialized and not self.labels:
            raise PipelineError(
                f"Component {self.name!r} is not initialized: call nlp.initialize() first"
            )
        docs = [eg.predicted for eg in examples]
        if not any(len(d) for d in docs):
            return None
        gold = self._gold(examples)
        self.model.train()
        set_dropout_rate(self.model, drop)
        rows = self._training_rows(examples, gold)
        reps, arcs = self.model(docs, rows)
        loss = self.get_loss(examples, TrainScores(reps, arcs, rows, gold))
        if set_annotations:
            detached = TokenReps(*(t.detach() for t in vars(reps).values()))
            with torch.no_grad():
                self.set_annotations(docs, self._decode(docs, detached))
        return loss

    def get_loss(self, examples: list[Example], scores: TrainScores) -> torch.Tensor | None:
        """Summed cross-entropy of the gold head of every token (over ROOT and the tokens
        of its segment) and of the gold label given the gold head."""
        gold, rows, arcs = scores.gold, scores.rows, scores.arcs
        if not len(rows) or not (gold.heads >= 0).any():
            return None
        B, L = rows.shape
        valid = rows >= 0
        r = rows.clip(min=0)
        head = gold.heads[r]
        seg_start = rows[:, :1]
        seg_end = seg_start + valid.sum(axis=1, keepdims=True)
        is_root = head == r
        inside = (head >= seg_start) & (head < seg_end)
        ok = valid & (head >= 0) & (is_root | inside)
        if not ok.any():
            return None
        target = np.where(ok, np.where(is_root, 0, head - seg_start + 1), IGNORE)
        device = arcs.device
        loss = F.cross_entropy(
            arcs.reshape(B * L, L + 1),
            torch.from_numpy(target.reshape(-1)).to(device),
            ignore_index=IGNORE,
            reduction="sum",
        )
        labelled = ok & ~is_root & (gold.labels[r] >= 0)
        if labelled.any():
            deps = rows[labelled]
            dep_t = torch.from_numpy(deps).to(device)
            head_t = torch.from_numpy(gold.heads[deps]).to(device)
            lab_scores = self.model.label_scores(scores.reps, dep_t, head_t)
            target_l = torch.from_numpy(gold.labels[deps]).to(device)
            loss = loss + F.cross_entropy(lab_scores, target_l, reduction="sum")
        return loss

    # ------------------------------------------------------------------ prediction

    def _forward(self, docs: list[Doc]) -> Parse:
        if not any(len(d) for d in docs):
            return Parse(
                [np.zeros(len(d), dtype=np.int64) for d in docs],
                [np.zeros(len(d), dtype=np.int64) for d in docs],
                [np.ones(len(d), dtype=bool) for d in docs],
            )
        return self._decode(docs, self.model.encode(docs))

    def _score_windows(
        self, reps: TokenReps, starts: list[int], lengths: list[int]
    ) -> list[np.ndarray]:
        """Arc scores (``(n, n + 1)`` numpy) of each window, in the windows' order;
        similar lengths are scored together, at most SCORE_CELLS cells a call."""
        out: list[np.ndarray | None] = [None] * len(starts)
        order = np.argsort(np.asarray(lengths), kind="stable")
        group: list[int] = []

        def flush() -> None:
            if not group:
                return
            rows = segment_rows(
                np.asarray([starts[i] for i in group]), np.asarray([lengths[i] for i in group])
            )
            arcs = self.model.arc_scores(reps, rows).to(torch.float64).cpu().numpy()
            for k, i in enumerate(group):
                n = lengths[i]
                out[i] = arcs[k, :n, : n + 1]
            group.clear()

        for i in order.tolist():
            if group and (len(group) + 1) * lengths[i] * (lengths[i] + 1) > SCORE_CELLS:
                flush()
            group.append(i)
        flush()
        return out  # type: ignore[return-value]

    def _decode(self, docs: list[Doc], reps: TokenReps) -> Parse:
        max_len = self.max_sentence_length
        offsets = doc_offsets(docs)
        heads = [np.arange(len(d), dtype=np.int64) for d in docs]
        starts = [np.zeros(len(d), dtype=bool) for d in docs]
        # Preset sentences: (doc, start, end, root of the sentence's first piece or -1).
        preset: list[tuple[int, int, int, int]] = []
        cursor: dict[int, int] = {}
        for i, doc in enumerate(docs):
            n = len(doc)
            if not n:
                continue
            given = preset_sent_starts(doc)
            if given is None:
                cursor[i] = 0
                continue
            starts[i][:] = given
            bounds = [*np.flatnonzero(given).tolist(), n]
            for s, e in zip(bounds[:-1], bounds[1:], strict=True):
                first = len(preset)
                for a in range(s, e, max_len):
                    preset.append((i, a, min(a + max_len, e), first if a > s else -1))
        self._decode_preset(reps, offsets, preset, heads)
        while cursor:
            items = sorted(cursor.items())
            ws = [(i, c, min(c + max_len, len(docs[i]))) for i, c in items]
            arcs = self._score_windows(
                reps, [offsets[i] + c for i, c, _ in ws], [e - c for _, c, e in ws]
            )
            for (i, c, e), S in zip(ws, arcs, strict=True):
                nxt = self._decode_window(S, c, e == len(docs[i]), max_len, heads[i], starts[i])
                if nxt is None:
                    del cursor[i]
                else:
                    cursor[i] = nxt
        return Parse(heads, self._label(reps, offsets, heads), starts)

    def _decode_preset(
        self,
        reps: TokenReps,
        offsets: np.ndarray,
        preset: list[tuple[int, int, int, int]],
        heads: list[np.ndarray],
    ) -> None:
        """Decode every piece of the preset sentences with a single root each."""
        if not preset:
            return
        arcs = self._score_windows(
            reps, [offsets[i] + a for i, a, _, _ in preset], [b - a for _, a, b, _ in preset]
        )
        roots = []
        for (i, a, _b, first), S in zip(preset, arcs, strict=True):
            h = mst_heads(S, single_root=True)
            root = a + int(np.flatnonzero(h == 0)[0])
            heads[i][a : a + len(h)] = np.where(h == 0, np.arange(a, a + len(h)), a + h - 1)
            if first >= 0:
                # A later piece of a long sentence: its root hangs from the first piece's.
                heads[i][root] = roots[first]
            roots.append(root if first < 0 else roots[first])

    @staticmethod
    def _decode_window(
        S: np.ndarray, c: int, at_end: bool, max_len: int, heads: np.ndarray, starts: np.ndarray
    ) -> int | None:
        """Decode the window of a Doc without sentences at cursor ``c`` into sentences;
        the next cursor, or None when the Doc is done."""
        h = mst_heads(S, single_root=False)
        pieces = uncrossed_segments(h)
        nxt = None
        if not at_end:
            last = pieces[-1][0]
            if len(pieces) > 1 and last >= max_len // 4:
                pieces = pieces[:-1]
                nxt = c + last
            else:
                nxt = c + len(h)
        for a, b in pieces:
            sub = h[a:b]
            if (sub == 0).sum() > 1:
                cols = np.concatenate([[0], np.arange(a + 1, b + 1)])
                again = mst_heads(S[a:b][:, cols], single_root=True)
                sub = np.where(again == 0, 0, again + a)
            own = np.arange(c + a, c + b)
            heads[c + a : c + b] = np.where(sub == 0, own, c + sub - 1)
            starts[c + a] = True
        return nxt

    def _label(
        self, reps: TokenReps, offsets: np.ndarray, heads: list[np.ndarray]
    ) -> list[np.ndarray]:
        """The best non-root label of every token with a head (-1 for roots)."""
        out = [np.full(len(h), -1, dtype=np.int64) for h in heads]
        rows_all = [np.arange(len(h)) + o for h, o in zip(heads, offsets, strict=True)]
        dep = np.concatenate(rows_all) if rows_all else np.zeros(0, dtype=np.int64)
        head = (
            np.concatenate([h + o for h, o in zip(heads, offsets, strict=True)]) if heads else dep
        )
        arc = head != dep
        if not arc.any() or self.model.nO is None:
            return out
        best = np.full(len(dep), -1, dtype=np.int64)
        forbidden = self.labels.index(self.root_label) if self.root_label in self.labels else None
        device = reps.label_dep.device
        idx = np.flatnonzero(arc)
        for k in range(0, len(idx), LABEL_CHUNK):
            part = idx[k : k + LABEL_CHUNK]
            scores = self.model.label_scores(
                reps,
                torch.from_numpy(dep[part]).to(device),
                torch.from_numpy(head[part]).to(device),
            )
            if forbidden is not None:
                scores[:, forbidden] = -np.inf
            best[part] = scores.argmax(dim=1).cpu().numpy()
        for i, o in enumerate(offsets.tolist()):
            out[i] = best[o : o + len(heads[i])]
        return out

    def set_annotations(self, docs: list[Doc], parse: Parse) -> None:
        strings = self.vocab.strings
        names = (*self.labels, self.root_label, BACKOFF_LABEL)
        hashes = np.asarray([strings.add(lab) for lab in names], dtype=np.uint64).view(np.int64)
        root_id, backoff_id = len(self.labels), len(self.labels) + 1
        for doc, heads, labels, starts in zip(
            docs, parse.heads, parse.labels, parse.sent_starts, strict=True
        ):
            n = len(doc)
            if not n:
                continue
            own = np.arange(n)
            arr = np.empty((n, 3), dtype=np.int64)
            arr[:, 0] = heads - own
            # A token without a label score (no labels known) never takes the root label.
            ids = np.where(heads == own, root_id, np.where(labels < 0, backoff_id, labels))
            arr[:, 1] = hashes[ids]
            arr[:, 2] = np.where(starts, 1, -1)
            arr[0, 2] = 1
            doc.from_array([A.HEAD, A.DEP, A.SENT_START], arr)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        return Scorer.score_parse(examples, **kwargs)


@factory(
    "biaffine_parser",
    assigns=["token.dep", "token.head", "token.is_sent_start", "doc.sents"],
    default_config={"model": DEFAULT_BIAFFINE_MODEL, "max_sentence_length": 256},
    default_score_weights={
        "dep_uas": 0.5,
        "dep_las": 0.5,
        "dep_las_per_type": None,
        "sents_p": None,
        "sents_r": None,
        "sents_f": 0.0,
    },
)
def make_biaffine_parser(
    nlp: Language, name: str, model: torch.nn.Module, max_sentence_length: int = 256
) -> BiaffineParser:
    return BiaffineParser(nlp.vocab, model, name, max_sentence_length=max_sentence_length)
