"""``biaffine_parser``: graph-based labelled dependency parsing (Dozat & Manning, 2017).

The network is ``treadle.BiaffineParser.v1`` (treadle/ml/architectures/biaffine.py):
arc scores for every (dependent, head) pair of a segment, with a virtual ROOT, and
label scores for given arcs. Trees come from maximum spanning tree decoding
(Chu-Liu/Edmonds, ``_internal/mst.py``), so non-projective trees need no lifting.

Sentences, then trees. Arcs are scored inside one sentence at a time, so memory
grows with the Doc's length, not with its square:

- Training: each gold sentence (the reference's sentence starts, projected onto the
  predicted tokens through the Example's alignment) is one segment; a sentence longer
  than ``max_sentence_length`` is cut into pieces. Heads that are missing, unaligned or
  outside the segment are masked; labels are learned on the gold arcs. The model's
  sentence-start logits learn the gold starts of every token after a Doc's first
  (binary cross-entropy; unknown starts are masked), so train on Docs of several
  sentences (``convert --n-sents``) for the parser to learn to split raw text.
- Prediction: a Doc's sentences are the ones it already has (a senter or sentencizer
  ran first), else the ones the sentence-start logits give (a start where the logit is
  positive). Each sentence is decoded with exactly one ROOT child; a sentence longer
  than ``max_sentence_length`` is decoded in pieces whose roots attach to the first
  piece's root.

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
from treadle.pipeline._internal.mst import mst_heads
from treadle.pipeline._internal.trainable import TrainablePipe, _check_examples
from treadle.pipeline._internal.transition.arc_eager import BACKOFF_LABEL, ROOT_LABEL
from treadle.pipeline.factories import factory
from treadle.pipeline.senter import aligned_sent_starts
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
    -1 unknown or a root), ``sent_starts`` (bool) and ``sent_known`` (bool: whether a
    token's start is annotated and not the Doc's first token, so worth learning)."""

    heads: np.ndarray
    labels: np.ndarray
    sent_starts: np.ndarray
    sent_known: np.ndarray


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


def sentence_segments(starts: np.ndarray, max_len: int) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each sentence (``starts``: bool per token; the first token
    always starts one), a sentence longer than ``max_len`` cut into pieces of ``max_len``."""
    n = len(starts)
    if not n:
        return []
    bounds = [*np.flatnonzero(starts).tolist(), n]
    if bounds[0] != 0:
        bounds.insert(0, 0)
    return [
        (a, min(a + max_len, e))
        for s, e in zip(bounds[:-1], bounds[1:], strict=True)
        for a in range(s, e, max_len)
    ]


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
        heads, labels = [], []
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
            offset += n
        # The senter's gold: starts the reference's parse implies where it has no
        # SENT_START, and only the boundaries next to a missing head unknown.
        sent = aligned_sent_starts(examples)
        docs = [eg.predicted for eg in examples]
        firsts = doc_offsets(docs)[[len(d) > 0 for d in docs]] if docs else []
        starts, known = sent == 1, sent != 0
        starts[firsts], known[firsts] = True, False
        cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)  # noqa: E731
        return ParseGold(cat(heads, np.int64), cat(labels, np.int64), starts, known)

    def _training_rows(self, examples: list[Example], gold: ParseGold) -> np.ndarray:
        starts, lengths = [], []
        offset = 0
        for eg in examples:
            n = len(eg.predicted)
            for s, e in sentence_segments(
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
        of its segment), of the gold label given the gold head, and of every known
        sentence start."""
        gold, rows, arcs = scores.gold, scores.rows, scores.arcs
        if not len(rows) or not (gold.heads >= 0).any():
            return None
        device = arcs.device
        sent_loss = None
        if gold.sent_known.any():
            known = torch.from_numpy(np.flatnonzero(gold.sent_known)).to(device)
            target_s = torch.from_numpy(gold.sent_starts[gold.sent_known]).to(device)
            sent_loss = F.binary_cross_entropy_with_logits(
                scores.reps.sent_start[known], target_s.to(scores.reps.sent_start.dtype),
                reduction="sum",
            )
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
            return sent_loss
        target = np.where(ok, np.where(is_root, 0, head - seg_start + 1), IGNORE)
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
        return loss if sent_loss is None else loss + sent_loss

    # ------------------------------------------------------------------ prediction

    def _forward(self, docs: list[Doc]) -> Parse:
        if not any(len(d) for d in docs):
            return Parse(
                [np.zeros(len(d), dtype=np.int64) for d in docs],
                [np.zeros(len(d), dtype=np.int64) for d in docs],
                [np.ones(len(d), dtype=bool) for d in docs],
            )
        return self._decode(docs, self.model.encode(docs))

    def _score_segments(
        self, reps: TokenReps, starts: list[int], lengths: list[int]
    ) -> list[np.ndarray]:
        """Arc scores (``(n, n + 1)`` numpy) of each segment, in the segments' order;
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
        predicted = (reps.sent_start > 0).cpu().numpy()
        heads = [np.arange(len(d), dtype=np.int64) for d in docs]
        starts = []
        # Pieces of sentences: (doc, start, end, index of the sentence's first piece or -1).
        pieces: list[tuple[int, int, int, int]] = []
        for i, doc in enumerate(docs):
            n = len(doc)
            given = preset_sent_starts(doc)
            if given is None:
                given = predicted[offsets[i] : offsets[i] + n].copy()
                given[:1] = True
            starts.append(given)
            first = -1
            for a, b in sentence_segments(given, max_len):
                first = len(pieces) if given[a] else first
                pieces.append((i, a, b, -1 if given[a] else first))
        self._decode_pieces(reps, offsets, pieces, heads)
        return Parse(heads, self._label(reps, offsets, heads), starts)

    def _decode_pieces(
        self,
        reps: TokenReps,
        offsets: np.ndarray,
        pieces: list[tuple[int, int, int, int]],
        heads: list[np.ndarray],
    ) -> None:
        """Decode every piece of the sentences with a single root each."""
        if not pieces:
            return
        arcs = self._score_segments(
            reps, [offsets[i] + a for i, a, _, _ in pieces], [b - a for _, a, b, _ in pieces]
        )
        roots = []
        for (i, a, _b, first), S in zip(pieces, arcs, strict=True):
            h = mst_heads(S, single_root=True)
            root = a + int(np.flatnonzero(h == 0)[0])
            heads[i][a : a + len(h)] = np.where(h == 0, np.arange(a, a + len(h)), a + h - 1)
            if first >= 0:
                # A later piece of a long sentence: its root hangs from the first piece's.
                heads[i][root] = roots[first]
            roots.append(root if first < 0 else roots[first])

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
