"""Beam search over a transition system, batch-level like the greedy decoder.

Every Doc keeps up to ``width`` states (rows of one :class:`StateBatch`), scored by the
sum of their actions' log-probabilities (the model's scores softmaxed over the valid
actions). Each step scores every live state's valid actions in one model call, then
keeps each Doc's ``width`` best candidates, where a finished state competes as itself
with its score unchanged. ``density`` prunes further: a candidate whose probability is
below ``density`` times its Doc's best candidate's is dropped (0 keeps all), which
shrinks the beam where the model is sure and saves the work on those rows.

The model is trained greedily; decoding with a beam recovers from some of the greedy
decoder's early mistakes at ``width`` times the per-step work.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from treadle.pipeline._internal.transition.system import StateBatch, TransitionSystem


def _log_softmax(scores: np.ndarray) -> np.ndarray:
    top = scores.max(axis=1, keepdims=True)
    shifted = scores - top
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _top_per_group(group: np.ndarray, score: np.ndarray, width: int, density: float) -> np.ndarray:
    """Indices of the ``width`` best-scoring candidates of each group (those above the
    density cut), ordered by group, then by score, best first."""
    order = np.lexsort((-score, group))
    group_sorted = group[order]
    starts = np.flatnonzero(np.r_[True, group_sorted[1:] != group_sorted[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, counts)
    keep = rank < width
    if density > 0.0:
        best = np.repeat(score[order[starts]], counts)
        keep &= score[order] >= best + np.log(density)
    return order[keep]


def beam_search(
    moves: TransitionSystem,
    batch: StateBatch,
    step: Callable[[np.ndarray], np.ndarray],
    *,
    width: int,
    density: float = 0.0,
    extra_state_tokens: bool = False,
) -> StateBatch:
    """Decode ``batch`` (one initial state per Doc, in Doc order) and return the best
    final state of each Doc, in Doc order. ``step(features)`` gives the model's scores
    for the feature rows of the live states."""
    if width < 1:
        raise ValueError(f"beam width must be at least 1, got {width}")
    total = np.zeros(batch.n_states, dtype=np.float64)
    while True:
        final = moves.is_final(batch)
        live = np.flatnonzero(~final)
        if not len(live):
            break
        scores = step(moves.features(batch, live, extra_state_tokens)).astype(np.float64)
        valid = moves.valid_mask(batch, live)
        scores[~valid] = -np.inf
        logp = _log_softmax(scores)
        cand_score = total[live, None] + logp
        parent_live, action = np.nonzero(valid)
        done = np.flatnonzero(final)
        parent = np.concatenate([live[parent_live], done])
        actions = np.concatenate([action, np.full(len(done), -1, dtype=np.int64)])
        score = np.concatenate([cand_score[parent_live, action], total[done]])
        chosen = _top_per_group(batch.doc_index[parent], score, width, density)
        batch = batch.take(parent[chosen])
        total = score[chosen]
        actions = actions[chosen]
        moving = np.flatnonzero(actions >= 0)
        if len(moving):
            moves.apply(batch, moving, actions[moving])
    best = _top_per_group(batch.doc_index, total, 1, 0.0)
    return batch.take(best)
