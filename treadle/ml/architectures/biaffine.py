"""``treadle.BiaffineParser.v1``: a graph-based dependency scorer (Dozat & Manning, 2017).

Over the token vectors of a tok2vec (its own, or a listener's), four one-layer MLPs
(leaky ReLU) give every token an arc-dependent and an arc-head vector (``arc_width``)
and a label-dependent and a label-head vector (``label_width``). Dropout (the rate
the training loop sets) acts on the token vectors and on every MLP output.

- Arc scores, per segment (a sentence, or a piece of a long one) padded to the longest
  segment of the batch: ``s[i, j] = d_i U h_j + u . h_j`` for every dependent ``i``
  and head ``j``, where head position 0 is a learned ROOT vector in the arc-head
  space, so one batched product gives ``(n_segments, L, L + 1)`` scores. Padding
  heads and self-loops are masked.
- Label scores for given (dependent, head) pairs, packed: ``[d; 1] W_l [h; 1]`` for
  every label ``l`` (the appended 1 gives the linear terms and the bias), so
  training scores only the gold arcs and prediction only the chosen ones.

Sentence starts: a linear layer over the token vectors gives each token the logit of
starting a sentence. Stanza and UDPipe split raw text with a model of their own before
parsing; here the one encoder does both, so a parser alone segments raw text, and each
predicted sentence is then decoded as one tree.

The arc scores add one thing to the paper's: the tok2vec rows carry no position (the
paper's BiLSTM gives some), so two identical words of a segment would score every head
alike. Every arc therefore also gets a learned score for its signed head distance
(:func:`distance_buckets`: exact up to 5 tokens, then wider buckets; ROOT has its own),
one scalar per bucket plus the dot product of the dependent's arc vector with a
learned vector per bucket (a word's preference for heads on its left or right, near
or far).

The biaffine weights start at zero (every head and label equally likely), the MLPs
with Glorot-uniform weights. :meth:`resize_output` grows the label set, keeping the
learned labels' weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.architectures.tagger import encode_packed, encoder_width
from treadle.ml.modules import set_module_ref

if TYPE_CHECKING:
    from treadle.tokens import Doc

# Score of a forbidden arc: finite, so a softmax over a row never sees inf - inf.
MASKED = -1e9


@dataclass
class TokenReps:
    """The MLP outputs of every token of a batch, packed in Doc order."""

    arc_dep: torch.Tensor
    arc_head: torch.Tensor
    label_dep: torch.Tensor
    label_head: torch.Tensor
    sent_start: torch.Tensor  # (n,) logit of each token starting a sentence

    def __len__(self) -> int:
        return int(self.arc_dep.shape[0])


def segment_rows(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``(n_segments, longest)`` packed row of each segment position, -1 past its end."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    width = int(lengths.max()) if len(lengths) else 0
    pos = np.arange(width, dtype=np.int64)[None, :]
    return np.where(pos < lengths[:, None], starts[:, None] + pos, -1)


# Upper ends of the head-distance buckets (|head - dependent| in tokens), each side.
_BUCKET_ENDS = np.array([1, 2, 3, 4, 5, 7, 11, 15, 31, 63])
N_BUCKETS = 2 * (len(_BUCKET_ENDS) + 1) + 1  # ROOT, then left and right per end and beyond


def distance_buckets(L: int) -> np.ndarray:
    """``(L, L + 1)`` bucket of each (dependent position, head column) pair: column 0
    (ROOT) is bucket 0; a head ``d`` tokens to the left or right gets
    ``1 + 2 * k`` or ``2 + 2 * k`` for the first bucket end ``k`` not below ``d``."""
    dep = np.arange(L)[:, None]
    head = np.arange(L + 1)[None, :] - 1
    dist = head - dep
    k = np.searchsorted(_BUCKET_ENDS, np.abs(dist))  # len(_BUCKET_ENDS) past the last
    out = np.where(dist < 0, 1 + 2 * k, 2 + 2 * k)
    out[:, 0] = 0
    return out.astype(np.int64)


class BiaffineModel(torch.nn.Module):
    """tok2vec -> four MLPs -> biaffine arc scores and biaffine label scores."""

    def __init__(
        self,
        tok2vec: torch.nn.Module,
        arc_width: int = 256,
        label_width: int = 64,
        nO: int | None = None,
    ) -> None:
        super().__init__()
        if arc_width < 1 or label_width < 1:
            raise ConfigError("BiaffineParser.v1: arc_width and label_width must be >= 1")
        width = encoder_width(tok2vec)
        if width is None:
            raise ConfigError(
                "BiaffineParser.v1: the tok2vec's output width is unknown (it needs a "
                "'width' attribute)"
            )
        self.tok2vec = tok2vec
        self.nI = width
        self.arc_width = int(arc_width)
        self.label_width = int(label_width)
        self.dropout = torch.nn.Dropout(0.0)
        self.arc_dep = torch.nn.Linear(width, arc_width)
        self.arc_head = torch.nn.Linear(width, arc_width)
        self.label_dep = torch.nn.Linear(width, label_width)
        self.label_head = torch.nn.Linear(width, label_width)
        self.sent_start = torch.nn.Linear(width, 1)
        for lin in (self.arc_dep, self.arc_head, self.label_dep, self.label_head, self.sent_start):
            torch.nn.init.xavier_uniform_(lin.weight)
            torch.nn.init.zeros_(lin.bias)
        self.root = torch.nn.Parameter(torch.empty(arc_width).uniform_(-0.1, 0.1))
        self.arc_U = torch.nn.Parameter(torch.zeros(arc_width, arc_width))
        self.arc_u = torch.nn.Parameter(torch.zeros(arc_width))
        self.dist_bias = torch.nn.Parameter(torch.zeros(N_BUCKETS))
        self.dist_dep = torch.nn.Parameter(torch.zeros(N_BUCKETS, arc_width))
        self.label_W = torch.nn.Parameter(torch.zeros(nO or 0, label_width + 1, label_width + 1))
        set_module_ref(self, "tok2vec", tok2vec)

    @property
    def nO(self) -> int | None:
        n = int(self.label_W.shape[0])
        return n or None

    def resize_output(self, n: int) -> None:
        """Set the number of labels to ``n``; the kept labels keep their weights."""
        old = self.label_W
        keep = min(int(old.shape[0]), n)
        new = torch.zeros(n, *old.shape[1:], device=old.device, dtype=old.dtype)
        with torch.no_grad():
            new[:keep] = old[:keep]
        self.label_W = torch.nn.Parameter(new)

    # ------------------------------------------------------------------ scoring

    def encode(self, docs: Sequence[Doc]) -> TokenReps:
        X = self.dropout(encode_packed(self.tok2vec, docs).data)

        def mlp(layer: torch.nn.Linear) -> torch.Tensor:
            return self.dropout(F.leaky_relu(layer(X), 0.1))

        return TokenReps(
            mlp(self.arc_dep),
            mlp(self.arc_head),
            mlp(self.label_dep),
            mlp(self.label_head),
            self.sent_start(X).squeeze(-1),
        )

    def arc_scores(self, reps: TokenReps, rows: np.ndarray) -> torch.Tensor:
        """``(n_segments, L, L + 1)`` arc scores for the segments whose packed rows
        :func:`segment_rows` gives; head column 0 is ROOT, column ``k + 1`` position ``k``."""
        B, L = rows.shape
        device = reps.arc_dep.device
        idx = torch.from_numpy(rows).to(device)
        valid = idx >= 0
        safe = idx.clamp(min=0)
        dep = reps.arc_dep[safe]  # (B, L, A); padding rows are masked below
        head = torch.cat([self.root.expand(B, 1, -1), reps.arc_head[safe]], dim=1)
        scores = torch.matmul(dep @ self.arc_U, head.transpose(1, 2))
        scores = scores + (head @ self.arc_u).unsqueeze(1)
        buckets = torch.from_numpy(distance_buckets(L)).to(device)
        by_bucket = dep @ self.dist_dep.T + self.dist_bias  # (B, L, N_BUCKETS)
        scores = scores + torch.gather(by_bucket, 2, buckets.unsqueeze(0).expand(B, -1, -1))
        head_ok = torch.cat([torch.ones(B, 1, dtype=torch.bool, device=device), valid], dim=1)
        self_loop = torch.zeros(L, L + 1, dtype=torch.bool, device=device)
        pos = torch.arange(L, device=device)
        self_loop[pos, pos + 1] = True
        mask = ~head_ok.unsqueeze(1) | self_loop.unsqueeze(0)
        return scores.masked_fill(mask, MASKED)

    def label_scores(
        self, reps: TokenReps, deps: torch.Tensor, heads: torch.Tensor
    ) -> torch.Tensor:
        """``(k, n_labels)`` label scores of the arcs ``heads[i] -> deps[i]`` (packed rows)."""
        if self.nO is None:
            raise ConfigError(
                "BiaffineParser.v1: the number of labels (nO) is not set; initialize the "
                "component first"
            )
        ones = reps.label_dep.new_ones(len(deps), 1)
        d = torch.cat([reps.label_dep[deps], ones], dim=1)
        h = torch.cat([reps.label_head[heads], ones], dim=1)
        return torch.einsum("kd,lde,ke->kl", d, self.label_W, h)

    def forward(
        self, docs: Sequence[Doc], rows: np.ndarray | None = None
    ) -> tuple[TokenReps, torch.Tensor]:
        """The batch's token representations and the arc scores of the segments
        ``rows`` (by default one segment per Doc)."""
        reps = self.encode(docs)
        if rows is None:
            lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(docs) else lengths
            rows = segment_rows(starts, lengths)
        return reps, self.arc_scores(reps, rows)


@registry.architectures("treadle.BiaffineParser.v1")
def make_BiaffineParser(
    tok2vec: torch.nn.Module,
    arc_width: int = 256,
    label_width: int = 64,
    nO: int | None = None,
) -> BiaffineModel:
    return BiaffineModel(tok2vec, arc_width=arc_width, label_width=label_width, nO=nO)
