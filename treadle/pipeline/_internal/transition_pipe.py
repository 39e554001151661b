"""``TransitionPipe``: the component base shared by the parser and the entity recognizer.

Prediction (greedy): the batch's token vectors are encoded once, the model's hidden
layer is precomputed for every token once (``model.prediction_table``: the full table,
or for a long input a block table computed on demand in bounded memory), then all states of
the batch are stepped together: features -> ``model.step`` -> invalid actions masked
-> argmax -> ``moves.apply``, until every state is final. With ``beam_width`` > 1 the
same steps run over up to ``beam_width`` states per Doc (``transition/beam.py``);
training stays greedy either way.

Training: states are rolled out under the model's own greedy decisions (without a
graph), recording each step's features, valid actions and dynamic-oracle costs; the
scores of all recorded steps are then recomputed in ONE batched ``model.step`` with
the graph attached, and the loss pushes probability onto the cheapest valid actions:
``-log sum_{a in best} softmax(scores)_a`` over the valid actions. Long Docs are cut
into pieces along the gold path (``update_with_oracle_cut_size``) so the rollouts of a
batch have similar lengths. Gradients reach the tok2vec through the precomputed table.

Subclasses give ``make_moves(labels)`` (the transition system), ``score`` and, if their
labels need more than the system's ``labels_from_examples``, ``_labels_from_examples``.
The transition system must provide: ``labels``, ``add_label``, ``n_actions``,
``init_batch(docs, offsets)``, ``features(batch, active, extra_state_tokens)``,
``valid_mask``, ``apply``, ``is_final``, ``make_gold(example)``,
``costs(batch, active, golds)``, ``set_annotations(batch, docs)`` and, optionally,
``cut_states(docs, offsets, golds, cut_size, rng)`` for the training pieces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.errors import ConfigError, DataError, PipelineError
from treadle.ml.dropout import set_dropout_rate
from treadle.pipeline._internal.trainable import TrainablePipe, _check_examples, check_label_list
from treadle.pipeline._internal.transition.beam import beam_search
from treadle.pipeline._internal.transition.system import INVALID_COST, StateBatch, TransitionSystem

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.ml.architectures.parser import TransitionModel
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example


def doc_offsets(docs: list[Doc]) -> np.ndarray:
    """Each Doc's first row in the packed token matrix of the batch."""
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    out = np.zeros(len(docs), dtype=np.int64)
    if len(docs) > 1:
        np.cumsum(lengths[:-1], out=out[1:])
    return out


class TransitionPipe(TrainablePipe):
    """A component driven by a transition system (``self.moves``) and a
    ``treadle.TransitionBasedParser.v1`` model."""

    model: TransitionModel
    moves: TransitionSystem

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "",
        *,
        update_with_oracle_cut_size: int = 100,
        beam_width: int = 1,
        beam_density: float = 0.0,
        **cfg: Any,
    ) -> None:
        if int(beam_width) < 1:
            raise ConfigError(
                f"Component {name!r}: beam_width must be at least 1 (1 = greedy), got {beam_width}"
            )
        if not 0.0 <= float(beam_density) < 1.0:
            raise ConfigError(
                f"Component {name!r}: beam_density must be in [0, 1), got {beam_density}"
            )
        super().__init__(
            vocab,
            model,
            name,
            update_with_oracle_cut_size=int(update_with_oracle_cut_size),
            beam_width=int(beam_width),
            beam_density=float(beam_density),
            **cfg,
        )
        self.moves = self.make_moves(self.labels)

    @property
    def _rng(self) -> np.random.Generator:
        """A generator for the oracle cuts, drawn from numpy's global one: training
        checkpoints save the global states, so a resumed run cuts where the
        uninterrupted one did (a private generator would restart from its seed)."""
        return np.random.default_rng(int(np.random.randint(0, 2**32 - 1, dtype=np.uint64)))

    # ------------------------------------------------------------------ system and labels

    def make_moves(self, labels: Iterable[str]) -> TransitionSystem:
        raise self._not_yet("make_moves")

    @property
    def extra_state_tokens(self) -> bool:
        return bool(getattr(self.model, "extra_state_tokens", False))

    def add_label(self, label: str) -> int:
        """Add a label; its actions go at the end of the output layer (learned rows of
        the other actions are kept)."""
        if not isinstance(label, str) or not label:
            raise PipelineError(f"Component {self.name!r}: a label must be a non-empty string, got {label!r}")
        if label in self.labels:
            return 0
        self.vocab.strings.add(label)
        self.cfg["labels"] = [*self.labels, label]
        self.moves.add_label(label)
        if self._initialized:
            self._resize_output(self.moves.n_actions)
        return 1

    def _resize_output(self, n: int) -> None:
        # The output width is the number of actions, not of labels.
        n_actions = self.moves.n_actions
        if getattr(self.model, "nO", None) != n_actions:
            self.model.resize_output(n_actions)

    def _after_cfg(self, where: str) -> None:
        check_label_list(self.cfg.get("labels", []), where)
        self.moves = self.make_moves(self.labels)
        for label in self.labels:
            self.vocab.strings.add(label)
        if self.labels:
            self._resize_output(self.moves.n_actions)

    @property
    def move_names(self) -> list[str]:
        return list(self.moves.action_names)

    def _labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        return list(self.moves.labels_from_examples(examples))

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        labels: Iterable[str] | None = None,
        **settings: Any,
    ) -> None:
        super().initialize(get_examples, nlp=nlp, labels=labels, **settings)
        self._resize_output(self.moves.n_actions)

    # ------------------------------------------------------------------ prediction

    def _forward(self, docs: list[Doc]) -> StateBatch:
        """Parse ``docs`` (greedy, or beam search with ``beam_width`` > 1): the batch of
        final states, one per Doc."""
        width = int(self.cfg.get("beam_width", 1))
        if width > 1:
            return self.beam_parse(docs, width, float(self.cfg.get("beam_density", 0.0)))
        return self.greedy_parse(docs)

    def _start(self, docs: list[Doc]) -> tuple[StateBatch, Callable[[np.ndarray], np.ndarray] | None]:
        """The Docs' initial states and the model's step function over their tokens;
        no step function when no Doc has a token (the states are already final)."""
        batch = self.moves.init_batch(docs, doc_offsets(docs))
        if not any(len(d) for d in docs):
            return batch, None
        model = self.model
        return batch, model.stepper(model.prediction_table(model.encode(docs)))

    def beam_parse(self, docs: list[Doc], width: int, density: float = 0.0) -> StateBatch:
        batch, step = self._start(docs)
        if step is None:
            return batch
        return beam_search(
            self.moves, batch, step, width=width, density=density,
            extra_state_tokens=self.extra_state_tokens,
        )  # fmt: skip

    def greedy_parse(self, docs: list[Doc]) -> StateBatch:
        batch, step = self._start(docs)
        if step is None:
            return batch
        moves = self.moves
        extra = self.extra_state_tokens
        while True:
            active = np.flatnonzero(~moves.is_final(batch))
            if not len(active):
                return batch
            feats = moves.features(batch, active, extra)
            scores = step(feats)
            valid = moves.valid_mask(batch, active)
            scores[~valid] = -np.inf
            moves.apply(batch, active, scores.argmax(axis=1))

    def set_annotations(self, docs: list[Doc], batch: StateBatch) -> None:
        if docs:
            self.moves.set_annotations(batch, docs)

    # ------------------------------------------------------------------ training

    def _golds(self, examples: list[Example]) -> list[Any]:
        return [self.moves.make_gold(eg) for eg in examples]

    def _training_states(self, docs: list[Doc], offsets: np.ndarray, golds: list[Any]) -> StateBatch:
        cut = int(self.cfg.get("update_with_oracle_cut_size", 0) or 0)
        if getattr(self.moves, "walk_to_cut", False):
            # Pieces spawned by gold-path walkers during the rollout (arc-eager).
            return self.moves.training_batch(docs, offsets, golds, cut)
        cut_states = getattr(self.moves, "cut_states", None)
        if cut_states is not None:
            return cut_states(docs, offsets, golds, cut, self._rng)
        return self.moves.init_batch(docs, offsets)

    def forward_loss(
        self, examples: Iterable[Example], *, drop: float = 0.0, set_annotations: bool = False
    ) -> torch.Tensor | None:
        """Roll out the model's own decisions and return the dynamic-oracle loss."""
        examples = _check_examples(examples, self.name)
        if self.model is None:
            raise self._not_yet("forward_loss")
        if not self._initialized and not self.labels:
            raise PipelineError(
                f"Component {self.name!r} is not initialized: call nlp.initialize() first"
            )
        docs = [eg.predicted for eg in examples]
        loss = None
        if any(len(d) for d in docs):
            golds = self._golds(examples)
            if any(self._has_gold(g) for g in golds):
                loss = self._rollout_loss(docs, golds, drop)
        if set_annotations:
            self.model.eval()
            with torch.no_grad():
                self.set_annotations(docs, self.greedy_parse(docs))
        return loss

    @staticmethod
    def _has_gold(gold: Any) -> bool:
        """Whether a gold object constrains anything (subclasses may refine)."""
        for attr in ("heads", "move"):
            values = getattr(gold, attr, None)
            if values is not None:
                return bool((np.asarray(values) >= 0).any())
        return len(gold) > 0

    def _rollout_loss(self, docs: list[Doc], golds: list[Any], drop: float) -> torch.Tensor | None:
        moves, model = self.moves, self.model
        model.train()
        set_dropout_rate(model, drop)
        table = model(docs)  # graph to the tok2vec
        offsets = doc_offsets(docs)
        batch = self._training_states(docs, offsets, golds)
        cut = int(self.cfg.get("update_with_oracle_cut_size", 0) or 0)
        extra = self.extra_state_tokens
        step = model.stepper(table.detach())
        rec_feats: list[np.ndarray] = []
        rec_valid: list[np.ndarray] = []
        rec_best: list[np.ndarray] = []
        implied = bool(getattr(moves, "costs_imply_valid", False))
        arrays = getattr(batch, "arrays", None)
        walker = arrays.get("walker") if isinstance(arrays, dict) else None
        if walker is None:
            walker = np.zeros(len(batch), dtype=bool)
        # Steps left per state: pieces roll out at most `cut` steps; walkers go on.
        big = np.iinfo(np.int64).max // 2
        budget = np.where(walker, big, cut if cut > 0 else big).astype(np.int64)
        first = int(self._rng.integers(1, cut + 1)) if cut > 0 else 0
        t = 0
        with torch.no_grad():
            while True:
                live = ~moves.is_final(batch) & (budget > 0)
                if cut > 0 and t >= first and (t - first) % cut == 0 and (live & walker).any():
                    # A new piece starts where each walker is on the gold path.
                    spawn = np.flatnonzero(live & walker)
                    piece = batch.take(spawn)
                    piece.walker[:] = False
                    batch = type(batch).concat([batch, piece])
                    walker = batch.walker
                    budget = np.concatenate([budget, np.full(len(spawn), cut, dtype=np.int64)])
                    live = np.concatenate([live, np.ones(len(spawn), dtype=bool)])
                active = np.flatnonzero(live)
                if not len(active):
                    break
                cost = moves.costs(batch, active, golds)
                valid = cost < INVALID_COST if implied else moves.valid_mask(batch, active)
                actions = cost.argmin(axis=1)
                learn = ~walker[active]
                if learn.any():
                    lrows = active[learn]
                    lvalid, lcost = valid[learn], cost[learn]
                    feats = moves.features(batch, lrows, extra)
                    best = lvalid & (lcost <= lcost.min(axis=1, keepdims=True))
                    # Rows where every valid action is best teach nothing: skip them.
                    teach = (best != lvalid).any(axis=1)
                    if teach.any():
                        rec_feats.append(feats[teach])
                        rec_valid.append(lvalid[teach])
                        rec_best.append(best[teach])
                    scores = step(feats)
                    scores[~lvalid] = -np.inf
                    actions[learn] = scores.argmax(axis=1)
                moves.apply(batch, active, actions)
                budget[active] -= 1
                t += 1
        if not rec_feats:
            # Nothing to learn from this batch, but keep the graph alive for a backward.
            return (table.sum() * 0.0)
        feats_all = torch.from_numpy(np.concatenate(rec_feats))
        valid_t = torch.from_numpy(np.concatenate(rec_valid)).to(table.device)
        best_t = torch.from_numpy(np.concatenate(rec_best)).to(table.device)
        scores = model.step(table, feats_all)
        neg = torch.finfo(scores.dtype).min
        all_valid = torch.logsumexp(scores.masked_fill(~valid_t, neg), dim=1)
        all_best = torch.logsumexp(scores.masked_fill(~best_t, neg), dim=1)
        return (all_valid - all_best).sum()

    # ------------------------------------------------------------------ checks

    def _check_labels(self) -> None:
        if not self.labels:
            raise DataError(
                f"Component {self.name!r} found no labels: give examples with annotation "
                f"for it, or labels in [initialize.components.{self.name}]"
            )
