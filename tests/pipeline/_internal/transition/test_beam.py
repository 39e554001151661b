"""Beam search over the transition systems: per-Doc candidate selection, and exact search
on tiny Docs against brute-force enumeration (the components' beam settings are in
tests/pipeline/_internal/test_transition_pipe.py)."""

from __future__ import annotations

import numpy as np
import torch

import treadle
from tests.pipeline.helpers import T2V, ner_examples, ner_model
from treadle.pipeline._internal.transition.beam import _log_softmax, _top_per_group, beam_search
from treadle.pipeline._internal.transition_pipe import doc_offsets


def test_top_per_group_matches_a_sort_per_group() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        group = rng.integers(0, 5, size=n)
        score = rng.normal(size=n)
        width = int(rng.integers(1, 4))
        got = _top_per_group(group, score, width, 0.0)
        want = []
        for g in sorted(set(group.tolist())):
            idx = np.flatnonzero(group == g)
            want.extend(idx[np.argsort(-score[idx], kind="stable")][:width].tolist())
        assert [(group[i], score[i]) for i in got] == [(group[i], score[i]) for i in want]


def test_density_drops_candidates_far_below_the_best() -> None:
    group = np.array([0, 0, 0, 1, 1])
    score = np.log(np.array([0.6, 0.3, 0.01, 0.5, 0.45]))
    kept = _top_per_group(group, score, 3, density=0.1)
    assert sorted(kept.tolist()) == [0, 1, 3, 4]


def _sequence_scores(moves, docs, step, extra):
    """Every complete action sequence of the single Doc, with its summed log-prob."""
    start = moves.init_batch(docs, doc_offsets(docs))
    finished = []
    frontier = [(start, 0.0, [])]
    while frontier:
        state, total, hist = frontier.pop()
        if moves.is_final(state)[0]:
            finished.append((total, hist))
            continue
        active = np.array([0])
        scores = step(moves.features(state, active, extra)).astype(np.float64)
        valid = moves.valid_mask(state, active)
        scores[~valid] = -np.inf
        logp = _log_softmax(scores)[0]
        for a in np.flatnonzero(valid[0]):
            nxt = state.take([0])
            moves.apply(nxt, active, np.array([a]))
            frontier.append((nxt, total + logp[a], [*hist, int(a)]))
    return finished


def test_a_wide_beam_finds_the_best_sequence_where_greedy_does_not() -> None:
    treadle.ml.fix_random_seed(1)
    nlp = treadle.blank("en")
    ner = nlp.add_pipe("ner", config={"model": ner_model(T2V)})
    nlp.initialize(lambda: ner_examples(nlp))
    # Small random weights give flat action distributions, where the constraints of
    # the open entity make the greedy path miss the best sequence.
    with torch.no_grad():
        for p in ner.model.parameters():
            p.normal_(0.0, 0.1)
    ner.model.eval()
    extra = ner.extra_state_tokens
    greedy_missed = 0
    for text in ["Bob saw Paris", "New York is big", "Alice met Carol"]:
        doc = nlp.make_doc(text)
        with torch.no_grad():
            step = ner.model.stepper(ner.model([doc]))
            every = {tuple(h): t for t, h in _sequence_scores(ner.moves, [doc], step, extra)}

            def decode(width: int, doc=doc, step=step) -> tuple[int, ...]:
                start = ner.moves.init_batch([doc], doc_offsets([doc]))
                final = beam_search(ner.moves, start, step, width=width, extra_state_tokens=extra)
                return tuple(final.history[0][: len(doc)].tolist())

            wide, greedy = decode(len(every)), decode(1)
        best = max(every.values())
        assert np.isclose(every[wide], best)
        greedy_missed += not np.isclose(every[greedy], best)
    assert greedy_missed  # the test exercises a case where search matters
