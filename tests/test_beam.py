"""Beam search over the transition systems: per-Doc candidate selection, exact search
on tiny Docs against brute-force enumeration, width 1 = greedy, and the components'
beam settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_ner import T2V, TRAIN, examples, ner_model, trained_ner

import treadle
from treadle.errors import ConfigError
from treadle.pipeline._internal.transition.beam import _log_softmax, _top_per_group, beam_search
from treadle.pipeline._internal.transition_pipe import doc_offsets


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
    nlp.initialize(lambda: examples(nlp))
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


def test_width_one_is_greedy_and_a_beam_keeps_docs_apart() -> None:
    nlp = trained_ner(steps=30)
    ner = nlp.get_pipe("ner")
    texts = [t for t, _ in TRAIN] + ["", "Carol met Bob in London ."]
    greedy = [[(e.text, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    ner.cfg["beam_width"] = 1
    with torch.no_grad():
        docs = [nlp.make_doc(t) for t in texts]
        batch = ner.beam_parse(docs, 1)
    ner.set_annotations(docs, batch)
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == greedy
    ner.cfg["beam_width"] = 8
    beamed = [[(e.text, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    # A trained model is sure of these: the beam agrees with the greedy decoder, and
    # each Doc gets its own analysis (states of different Docs never mix).
    assert beamed[: len(TRAIN)] == greedy[: len(TRAIN)]
    assert beamed[len(TRAIN)] == []


def test_parser_with_a_beam_builds_complete_trees() -> None:
    nlp = treadle.blank("en")
    nlp.add_pipe("parser", config={"beam_width": 4, "beam_density": 0.001})
    words = [["She", "eats", "fish", "."], ["Dogs", "bark", "."]]
    heads = [[1, 1, 1, 1], [1, 1, 1]]
    deps = [["nsubj", "ROOT", "dobj", "punct"], ["nsubj", "ROOT", "punct"]]
    from treadle.tokens import Doc
    from treadle.training import Example

    egs = [
        Example(Doc(nlp.vocab, words=w), Doc(nlp.vocab, words=w, heads=h, deps=d))
        for w, h, d in zip(words, heads, deps, strict=True)
    ]
    nlp.initialize(lambda: egs)
    for doc in nlp.pipe(["She eats fish .", "Dogs bark .", "Fish eats her ."]):
        assert sum(t.head.i == t.i for t in doc) >= 1  # every token attached; a root each
        assert all(t.dep_ for t in doc)


@pytest.mark.parametrize("settings", [{"beam_width": 0}, {"beam_density": 1.5}])
def test_bad_beam_settings_name_the_component(settings) -> None:
    nlp = treadle.blank("en")
    with pytest.raises(ConfigError, match="'ner'.*beam"):
        nlp.add_pipe("ner", config=settings)


def test_beam_settings_survive_a_round_trip(tmp_path) -> None:
    nlp = trained_ner(steps=20)
    nlp.get_pipe("ner").cfg["beam_width"] = 4
    before = [[(e.text, e.label_) for e in d.ents] for d in nlp.pipe([t for t, _ in TRAIN])]
    nlp.to_disk(tmp_path / "p")
    loaded = treadle.load(tmp_path / "p")
    assert loaded.get_pipe("ner").cfg["beam_width"] == 4
    after = [[(e.text, e.label_) for e in d.ents] for d in loaded.pipe([t for t, _ in TRAIN])]
    assert after == before
