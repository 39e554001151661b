"""``treadle.TransitionBasedParser.v1``: the network of the parser and the entity recognizer.

A state is described by ``nF`` feature tokens (stack and buffer tokens and their
dependents; the transition system picks them). The hidden layer is the sum of one
affine piece per feature slot, so each token's contribution to every slot is
computed ONCE per batch (:meth:`TransitionModel.precompute`: one matrix product
over the packed token vectors). A step is then a gather of ``nF`` precomputed rows
per state, a sum, a bias, maxout over ``maxout_pieces``, and (``use_upper``) a small
output layer — for all states of the batch at once (:meth:`TransitionModel.step`).
Feature value -1 (no token there) picks a learned padding row per slot.

With ``use_upper=False`` the hidden layer has one unit per action and its maxout
output is the score. :meth:`resize_output` grows the action set (new labels when
training resumes) keeping the learned rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml.architectures.tagger import encode_packed, encoder_width
from treadle.ml.layers.linear import Linear
from treadle.ml.modules import set_module_ref

if TYPE_CHECKING:
    from treadle.tokens import Doc

# Feature tokens per state type (must match the transition systems' n_features).
N_FEATURES = {("parser", False): 13, ("parser", True): 17, ("ner", False): 3, ("ner", True): 6}


def n_state_features(state_type: str, extra_state_tokens: bool) -> int:
    key = (state_type, bool(extra_state_tokens))
    if key not in N_FEATURES:
        raise ConfigError(
            f"TransitionBasedParser.v1: unknown state_type {state_type!r}; use 'parser' or 'ner'"
        )
    return N_FEATURES[key]


class _MaxPieces(torch.autograd.Function):
    """Max over ``nP`` piece-major slices of the last axis (see layers/maxout.py)."""

    @staticmethod
    def forward(ctx, Z: torch.Tensor, nP: int) -> torch.Tensor:  # type: ignore[override]
        nH = Z.shape[-1] // nP
        Zp = Z.reshape(-1, nP, nH)
        best = Zp[:, 0]
        for p in range(1, nP):
            best = torch.maximum(best, Zp[:, p])
        ctx.save_for_backward(Zp, best)
        return best

    @staticmethod
    def backward(ctx, dY: torch.Tensor):  # type: ignore[override]
        Zp, best = ctx.saved_tensors
        dZ = (Zp == best.unsqueeze(1)) * dY.unsqueeze(1)
        return dZ.reshape(Zp.shape[0], -1), None


class TransitionModel(torch.nn.Module):
    """tok2vec -> precomputed feature-slot hidden layer -> maxout -> (upper) -> action scores."""

    # Prediction tables (see prediction_table): up to full_table_rows tokens get the
    # whole table (a batch of 1,000 short sentences stays below it), longer inputs a
    # BlockTable of at most max_blocks blocks of block_rows tokens. For the efficiency
    # parser (13 x 2 x 64 floats a token) a block is 27 MB and the budget 108 MB.
    block_rows: int = 4096
    max_blocks: int = 4
    full_table_rows: int = 16384

    def __init__(
        self,
        tok2vec: torch.nn.Module,
        state_type: str = "parser",
        extra_state_tokens: bool = False,
        hidden_width: int = 64,
        maxout_pieces: int = 2,
        use_upper: bool = True,
        nO: int | None = None,
    ) -> None:
        super().__init__()
        if hidden_width < 1 or maxout_pieces < 1:
            raise ConfigError("TransitionBasedParser.v1: hidden_width and maxout_pieces must be >= 1")
        width = encoder_width(tok2vec)
        if width is None:
            raise ConfigError(
                "TransitionBasedParser.v1: the tok2vec's output width is unknown (it needs a "
                "'width' attribute)"
            )
        self.tok2vec = tok2vec
        self.state_type = state_type
        self.extra_state_tokens = bool(extra_state_tokens)
        self.nF = n_state_features(state_type, extra_state_tokens)
        self.nI = width
        self.nP = maxout_pieces
        self.hidden_width = hidden_width
        self.use_upper = bool(use_upper)
        self._nO = nO
        nH = hidden_width if self.use_upper else (nO or 0)
        # Layout (nI, nF, nP, nH): piece-major hidden columns, so maxout compares
        # contiguous slices.
        self.lower_weight = torch.nn.Parameter(torch.empty(width, self.nF, self.nP, nH))
        self.lower_bias = torch.nn.Parameter(torch.zeros(self.nP, nH))
        self.lower_pad = torch.nn.Parameter(torch.empty(self.nF, self.nP, nH))
        self._init_lower(0)
        self.dropout = torch.nn.Dropout(0.0)
        self.upper: Linear | None = Linear(nO, hidden_width, init="zeros") if self.use_upper else None
        set_module_ref(self, "tok2vec", tok2vec)

    def _init_lower(self, start: int) -> None:
        fan_in = self.nI * self.nF
        bound = math.sqrt(6.0 / max(1, fan_in + self.nP * self.lower_weight.shape[-1]))
        with torch.no_grad():
            self.lower_weight[..., start:].uniform_(-bound, bound)
            self.lower_pad[..., start:].uniform_(-bound, bound)
            self.lower_bias[..., start:].zero_()

    @property
    def nH(self) -> int:
        return int(self.lower_weight.shape[-1])

    @property
    def nO(self) -> int | None:
        if self.upper is not None:
            return self.upper.nO
        return self.nH or None

    def resize_output(self, n: int) -> None:
        """Set the number of actions to ``n``, keeping the learned rows of the others."""
        if self.upper is not None:
            if self.upper.nO != n:
                self.upper.resize_output(n)
            return
        old = self.nH
        if old == n:
            return
        keep = min(old, n)

        def grow(p: torch.Tensor, shape: tuple[int, ...]) -> torch.nn.Parameter:
            new = torch.zeros(*shape, n, device=p.device, dtype=p.dtype)
            with torch.no_grad():
                new[..., :keep] = p[..., :keep]
            return torch.nn.Parameter(new)

        self.lower_weight = grow(self.lower_weight, tuple(self.lower_weight.shape[:-1]))
        self.lower_bias = grow(self.lower_bias, tuple(self.lower_bias.shape[:-1]))
        self.lower_pad = grow(self.lower_pad, tuple(self.lower_pad.shape[:-1]))
        if n > keep:
            self._init_lower(keep)

    def adopt_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Before loading saved weights: take their number of actions."""
        if self.upper is None and "lower_weight" in shapes:
            n = shapes["lower_weight"][-1]
            if n != self.nH:
                self.resize_output(n)

    # ------------------------------------------------------------------ forward pieces

    def encode(self, docs: Sequence[Doc]) -> torch.Tensor:
        """The packed (N, width) token vectors of the batch."""
        return encode_packed(self.tok2vec, docs).data

    def precompute(self, tokvecs: torch.Tensor) -> torch.Tensor:
        """(N + 1, nF, nP * nH): every token's contribution to every feature slot; row N
        is the padding row used for feature value -1."""
        self._check_width(tokvecs)
        N = tokvecs.shape[0]
        flat = self.lower_weight.reshape(self.nI, -1)
        pad = self.lower_pad.reshape(1, self.nF, -1)
        if torch.is_grad_enabled() and (tokvecs.requires_grad or flat.requires_grad):
            hidden = (tokvecs @ flat).reshape(N, self.nF, -1)
            return torch.cat([hidden, pad], dim=0)
        # Without a graph the product is written straight into the table: the table is
        # the largest array of a long Doc's parse, and a concatenated copy doubled it.
        table = torch.empty((N + 1, self.nF, pad.shape[-1]), dtype=flat.dtype, device=flat.device)
        for start in range(0, N, self.block_rows):
            self.precompute_block(tokvecs, start, table[start : start + self.block_rows])
        table[N] = pad[0]
        return table

    def precompute_block(self, tokvecs: torch.Tensor, start: int, out: torch.Tensor) -> None:
        """Write the table rows of tokens ``start .. start + block_rows`` (fewer at the
        end) into ``out`` (no graph). The full table is made of the same blocks as the
        lazy one (:class:`BlockTable`): a BLAS product's rows can differ in the last bits
        with the number of rows, and both paths must give the same scores."""
        rows = tokvecs[start : start + self.block_rows]
        flat = self.lower_weight.detach().reshape(self.nI, -1)
        torch.matmul(rows.to(flat.dtype), flat, out=out[: len(rows)].view(len(rows), -1))

    def prediction_table(self, tokvecs: torch.Tensor) -> torch.Tensor | BlockTable:
        """The table prediction steps read (no graph): the full table for up to
        ``full_table_rows`` tokens, else a :class:`BlockTable` holding at most
        ``max_blocks`` blocks of ``block_rows`` tokens (more only while one step's
        features need them), so a long Doc's table costs a fixed budget instead of
        (tokens x nF x nP x nH) floats."""
        self._check_width(tokvecs)
        if tokvecs.shape[0] <= self.full_table_rows:
            with torch.no_grad():
                return self.precompute(tokvecs)
        return BlockTable(self, tokvecs.detach(), self.max_blocks)

    def _check_width(self, tokvecs: torch.Tensor) -> None:
        if tokvecs.shape[-1] != self.nI:
            raise ConfigError(
                f"TransitionBasedParser.v1: token vectors have width {tokvecs.shape[-1]}, the "
                f"model expects {self.nI}"
            )

    def step(self, precomputed: torch.Tensor, feats: Any) -> torch.Tensor:
        """Scores (n, nO) for states with feature rows ``feats`` (n, nF) (-1 = none)."""
        self._check_actions()
        N = precomputed.shape[0] - 1
        feats = torch.as_tensor(feats, device=precomputed.device)
        return self._step_rows(precomputed, torch.where(feats < 0, N, feats))

    def _step_rows(self, table: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Scores for states whose feature tokens are the rows ``rows`` (n, nF) of ``table``."""
        slots = torch.arange(self.nF, device=table.device)
        flat = table.reshape(-1, table.shape[-1])
        # Gather and sum the nF rows of each state in one fused op (no (n, nF, width)
        # intermediate).
        Z = F.embedding_bag(rows * self.nF + slots, flat, mode="sum") + self.lower_bias.reshape(-1)
        H = _MaxPieces.apply(Z, self.nP)
        if self.upper is None:
            return H
        return self.upper(self.dropout(H))

    def _check_actions(self) -> None:
        if self.nO is None or self.nO == 0:
            raise ConfigError("TransitionBasedParser.v1: the number of actions is not set; initialize first")

    def stepper(self, table: torch.Tensor | BlockTable) -> Callable[[np.ndarray], np.ndarray]:
        """A function ``feats -> scores`` (numpy in, numpy out) for steps that need no
        gradient (greedy prediction, training rollouts), over a full table or a
        :class:`BlockTable`. On CPU it runs in numpy over views of the weights: at the
        sizes of one step (a few hundred states), numpy's per-call overhead is several
        times lower than torch's, and the step loop is dominated by that overhead."""
        source = table if isinstance(table, BlockTable) else FullTable(table.detach())
        if source.weight.device.type != "cpu" or source.weight.dtype != torch.float32:

            def run_torch(feats: np.ndarray) -> np.ndarray:
                rows = torch.from_numpy(source.rows(feats)).to(source.weight.device)
                with torch.no_grad():
                    return self._step_rows(source.weight, rows).float().cpu().numpy()

            return run_torch
        self._check_actions()
        nF, nP = self.nF, self.nP
        bias = self.lower_bias.detach().reshape(-1).numpy()
        upper = self.upper
        # The small output matmul stays in torch: numpy's BLAS may start threads of its
        # own, which on a busy machine costs far more than the product itself.
        W = upper.weight.detach() if upper is not None else None
        b = upper.bias.detach() if upper is not None else None
        slots = np.arange(nF, dtype=np.int64)
        nH = source.weight.shape[-1] // nP

        def run(feats: np.ndarray) -> np.ndarray:
            rows = source.rows(feats) * nF + slots
            Z = F.embedding_bag(torch.from_numpy(rows), source.flat, mode="sum").numpy()
            Z += bias
            H = Z[:, :nH]
            for p in range(1, nP):
                H = np.maximum(H, Z[:, p * nH : (p + 1) * nH])
            if W is None:
                return H
            return F.linear(torch.from_numpy(np.ascontiguousarray(H)), W, b).numpy()

        return run

    def forward(self, docs: Sequence[Doc]) -> torch.Tensor:
        """The precomputed hidden-layer table of a batch (see :meth:`precompute`)."""
        return self.precompute(self.encode(docs))


class FullTable:
    """A whole precomputed table as a step source: feature rows index it directly."""

    def __init__(self, table: torch.Tensor) -> None:
        self.weight = table
        self.flat = table.reshape(-1, table.shape[-1])
        self._pad = table.shape[0] - 1

    def rows(self, feats: np.ndarray) -> np.ndarray:
        """Table rows of the feature tokens ``feats`` (-1 -> the padding row)."""
        return np.where(feats < 0, self._pad, feats)


class BlockTable:
    """The precomputed table of a long input, computed in blocks of ``block_rows`` token
    rows when a step's features first reference them.

    Blocks live in the slots of one slab tensor (slot s holds rows s * B .. s * B + B - 1;
    the last row is the padding row), so a step stays one gather over one tensor. The
    buffer moves left to right but the stack and the dependents reach back, so a miss
    computes the block into the least recently used slot that the step does not need,
    from the kept token vectors: the same product as before, hence the same numbers.
    The slab holds ``max_blocks`` slots, more only if one step needs more blocks (many
    Docs stepped together), and never more than the input has.
    """

    def __init__(self, model: TransitionModel, tokvecs: torch.Tensor, max_blocks: int) -> None:
        self.model = model
        self.tokvecs = tokvecs
        self.block = int(model.block_rows)
        n_blocks = -(-tokvecs.shape[0] // self.block)
        self.slot_of = np.full(n_blocks, -1, dtype=np.int64)
        self.block_in = np.zeros(0, dtype=np.int64)
        self.last_used = np.zeros(n_blocks, dtype=np.int64)
        self.clock = 0
        self.computed = 0  # blocks computed so far, recomputations included
        self.weight = torch.empty(0)
        self._allocate(max(1, min(int(max_blocks), n_blocks)))

    @property
    def capacity(self) -> int:
        return len(self.block_in)

    def _allocate(self, n_slots: int) -> None:
        """(Re)make the slab with ``n_slots`` slots, keeping the blocks already in it."""
        m, B = self.model, self.block
        pad = m.lower_pad.detach().reshape(m.nF, -1)
        slab = torch.empty(
            (n_slots * B + 1, m.nF, pad.shape[-1]), dtype=pad.dtype, device=pad.device
        )
        kept = self.capacity * B
        if kept:
            slab[:kept] = self.weight[:kept]
        slab[-1] = pad
        self.weight = slab
        self.flat = slab.view(-1, slab.shape[-1])
        self.block_in = np.concatenate(
            [self.block_in, np.full(n_slots - self.capacity, -1, dtype=np.int64)]
        )

    def rows(self, feats: np.ndarray) -> np.ndarray:
        """Slab rows of the feature tokens ``feats`` (-1 -> the padding row), computing
        the blocks they reference that the slab does not hold."""
        self.clock += 1
        none = feats < 0
        blocks = np.where(none, 0, feats) // self.block
        slots = self.slot_of[blocks]
        if (slots[~none] < 0).any():
            self._load(np.unique(blocks[~none]))
            slots = self.slot_of[blocks]
        self.last_used[blocks[~none]] = self.clock
        rows = slots * self.block + (feats - blocks * self.block)
        rows[none] = self.capacity * self.block
        return rows

    def _load(self, needed: np.ndarray) -> None:
        if len(needed) > self.capacity:
            self._allocate(len(needed))
        for block in needed[self.slot_of[needed] < 0].tolist():
            slot = self._free_slot(needed)
            B = self.block
            out = self.weight[slot * B : (slot + 1) * B]
            self.model.precompute_block(self.tokvecs, block * B, out)
            self.block_in[slot] = block
            self.slot_of[block] = slot
            self.computed += 1

    def _free_slot(self, needed: np.ndarray) -> int:
        """An empty slot, else the least recently used one whose block this step does
        not need (its block is evicted)."""
        empty = np.flatnonzero(self.block_in < 0)
        if len(empty):
            return int(empty[0])
        held = np.flatnonzero(~np.isin(self.block_in, needed))
        slot = int(held[np.argmin(self.last_used[self.block_in[held]])])
        self.slot_of[self.block_in[slot]] = -1
        return slot


@registry.architectures("treadle.TransitionBasedParser.v1")
def make_TransitionBasedParser(
    tok2vec: torch.nn.Module,
    state_type: str = "parser",
    extra_state_tokens: bool = False,
    hidden_width: int = 64,
    maxout_pieces: int = 2,
    use_upper: bool = True,
    nO: int | None = None,
) -> TransitionModel:
    return TransitionModel(
        tok2vec,
        state_type=state_type,
        extra_state_tokens=extra_state_tokens,
        hidden_width=hidden_width,
        maxout_pieces=maxout_pieces,
        use_upper=use_upper,
        nO=nO,
    )
