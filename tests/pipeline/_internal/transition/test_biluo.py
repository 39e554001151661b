"""BILUO transition system: moves, validity, gold sequences, dynamic-oracle costs."""

from __future__ import annotations

import numpy as np
import pytest

from treadle.errors import DataError
from treadle.pipeline._internal.transition.biluo import (
    BEGIN,
    IN,
    LAST,
    UNIT,
    BiluoSystem,
    action_id,
)
from treadle.pipeline._internal.transition.system import INVALID_COST
from treadle.tokens import Doc, Span, Vocab
from treadle.tokens.example import Example


def make_doc(words: list[str], vocab: Vocab | None = None) -> Doc:
    return Doc(vocab or Vocab(), words=words)


def names(system: BiluoSystem, row: np.ndarray) -> set[str]:
    return {system.action_names[i] for i in np.flatnonzero(row)}


def step(system: BiluoSystem, batch, action_name: str, state: int = 0) -> None:
    a = system.action_names.index(action_name)
    system.apply(batch, np.array([state]), np.array([a]))


def zero_cost(system, batch, golds, state: int = 0) -> set[str]:
    costs = system.costs(batch, np.array([state]), golds)[0]
    return {system.action_names[i] for i in np.flatnonzero(costs == 0)}


def test_actions_and_new_labels_append_at_the_end() -> None:
    system = BiluoSystem(["LOC", "PER"])
    assert system.n_actions == 9
    assert system.action_names == ["O", "B-LOC", "I-LOC", "L-LOC", "U-LOC", "B-PER", "I-PER", "L-PER", "U-PER"]
    before = list(system.action_names)
    assert system.add_label("ORG") is True
    assert system.add_label("ORG") is False
    assert system.action_names[: len(before)] == before
    assert system.action_names[-4:] == ["B-ORG", "I-ORG", "L-ORG", "U-ORG"]
    assert action_id(UNIT, 1) == system.action_names.index("U-PER")
    move, label = system.decode_actions(np.array([0, 1, 6, 12]))
    assert move.tolist() == [0, BEGIN, IN, UNIT] and label.tolist() == [-1, 0, 1, 2]


def test_validity_follows_the_open_entity() -> None:
    system = BiluoSystem(["LOC", "PER"])
    batch = system.init_batch([make_doc(["a", "b", "c"])])
    mask = system.valid_mask(batch, np.array([0]))
    assert names(system, mask[0]) == {"O", "B-LOC", "U-LOC", "B-PER", "U-PER"}
    step(system, batch, "B-PER")
    assert names(system, system.valid_mask(batch, np.array([0]))[0]) == {"I-PER", "L-PER"}
    step(system, batch, "I-PER")
    # The last token: an open entity can only end.
    assert names(system, system.valid_mask(batch, np.array([0]))[0]) == {"L-PER"}
    step(system, batch, "L-PER")
    assert system.is_final(batch).tolist() == [True]
    assert not system.valid_mask(batch, np.array([0])).any()
    assert system.entities(batch, 0) == [(0, 3, "PER")]


def test_no_begin_on_the_last_token() -> None:
    system = BiluoSystem(["PER"])
    batch = system.init_batch([make_doc(["a"])])
    assert names(system, system.valid_mask(batch, np.array([0]))[0]) == {"O", "U-PER"}


def test_batch_steps_states_together_and_features_index_the_packed_matrix() -> None:
    system = BiluoSystem(["PER"])
    docs = [make_doc(["a", "b"]), make_doc(["c", "d", "e"])]
    batch = system.init_batch(docs, np.array([0, 2]))
    both = np.array([0, 1])
    feats = system.features(batch, both)
    assert feats.tolist() == [[0, -1, -1], [2, -1, -1]]
    system.apply(batch, both, np.array([action_id(BEGIN, 0), 0]))
    feats = system.features(batch, both)
    assert feats.tolist() == [[1, 0, 0], [3, 2, -1]]
    extra = BiluoSystem(["PER"], extra_state_tokens=True)
    assert extra.features(extra.init_batch(docs, np.array([0, 2])), both).shape == (2, 6)
    assert system.n_features("ner", True) == 6 and system.n_features("ner", False) == 3
    system.apply(batch, both, np.array([action_id(LAST, 0), action_id(UNIT, 0)]))
    assert system.is_final(batch).tolist() == [True, False]
    system.apply(batch, np.array([1]), np.array([0]))
    assert system.is_final(batch).all()
    assert system.entities(batch, 0) == [(0, 2, "PER")]
    assert system.entities(batch, 1) == [(1, 2, "PER")]
    system.set_annotations(batch, docs)
    assert [(e.start, e.end, e.label_) for e in docs[1].ents] == [(1, 2, "PER")]
    assert [t.ent_iob_ for t in docs[1]] == ["O", "B", "O"]


def test_random_valid_sequences_give_well_formed_entities() -> None:
    system = BiluoSystem(["A", "B", "C"])
    rng = np.random.default_rng(0)
    docs = [make_doc([f"w{i}" for i in range(n)]) for n in (1, 2, 5, 9, 13)]
    batch = system.init_batch(docs)
    tags = ["O", "-", "U-A", "U-B", "U-C"]
    golds = [system.gold_from_tags([str(rng.choice(tags)) for _ in range(len(d))]) for d in docs]
    while not system.is_final(batch).all():
        active = np.flatnonzero(~system.is_final(batch))
        mask = system.valid_mask(batch, active)
        assert mask.any(axis=1).all()
        # The costs mark exactly the invalid actions (costs_imply_valid), and some
        # valid action is always free.
        costs = system.costs(batch, active, golds)
        assert np.array_equal(costs < INVALID_COST, mask)
        assert (costs == 0).any(axis=1).all()
        choice = np.array([rng.choice(np.flatnonzero(row)) for row in mask])
        system.apply(batch, active, choice)
    for s, doc in enumerate(docs):
        ents = system.entities(batch, s)
        covered = np.zeros(len(doc), dtype=int)
        for a, b, _ in ents:
            assert 0 <= a < b <= len(doc)
            covered[a:b] += 1
        assert covered.max(initial=0) <= 1
    system.set_annotations(batch, docs)


ENT_CASES = [
    (["Ada", "Lovelace", "met", "Babbage", "in", "London", "."], [(0, 2, "PER"), (3, 4, "PER"), (5, 6, "LOC")]),
    (["New", "York", "City", "Hall"], [(0, 3, "LOC"), (3, 4, "ORG")]),
    (["no", "entities", "here"], []),
    (["X"], [(0, 1, "ORG")]),
]


@pytest.mark.parametrize("words,ents", ENT_CASES)
def test_oracle_sequence_rebuilds_the_gold_entities(words, ents) -> None:
    vocab = Vocab()
    ref = make_doc(words, vocab)
    ref.set_ents([Span(ref, a, b, label=lab) for a, b, lab in ents])
    eg = Example(make_doc(words, vocab), ref)
    system = BiluoSystem(["LOC", "ORG", "PER"])
    gold = system.make_gold(eg)
    actions = system.oracle_actions(system.init_batch([eg.predicted]), [gold])[0]
    assert len(actions) == len(words)
    batch = system.init_batch([eg.predicted])
    for a in actions:
        # Every action on the gold path costs nothing, and it is the only free one
        # where everything is annotated.
        costs = system.costs(batch, np.array([0]), [gold])[0]
        assert costs[a] == 0 and (costs == 0).sum() == 1
        system.apply(batch, np.array([0]), np.array([a]))
    assert system.entities(batch, 0) == sorted(ents)
    system.set_annotations(batch, [eg.predicted])
    assert [(e.start, e.end, e.label_) for e in eg.predicted.ents] == sorted(ents)


def test_oracle_with_a_different_tokenization() -> None:
    vocab = Vocab()
    ref = Doc(vocab, words=["I", "visited", "New", "York", "."], spaces=[True, True, True, False, False])
    ref.set_ents([Span(ref, 2, 4, label="LOC")])
    pred = Doc(vocab, words=["I", "visited", "New", "York."], spaces=[True, True, True, False])
    eg = Example(pred, ref)
    system = BiluoSystem(["LOC"])
    gold = system.make_gold(eg)
    # "York." covers the entity's end and the full stop: the entity can't be expressed.
    assert gold.move.tolist()[:2] == [0, 0]
    assert (gold.move[2:] == -1).all()


def test_missing_values_cost_nothing() -> None:
    system = BiluoSystem(["PER", "LOC"])
    doc = make_doc(["a", "b", "c", "d", "e"])
    gold = system.gold_from_tags(["-", "-", "U-PER", "O", "-"])
    batch = system.init_batch([doc])
    # Token 0 is missing and so is token 1: anything goes.
    assert zero_cost(system, batch, [gold]) == {"O", "B-PER", "U-PER", "B-LOC", "U-LOC"}
    step(system, batch, "B-LOC")
    # Token 1 missing, but I would swallow the gold entity at token 2: end here.
    assert zero_cost(system, batch, [gold]) == {"L-LOC"}
    step(system, batch, "L-LOC")
    assert zero_cost(system, batch, [gold]) == {"U-PER"}
    step(system, batch, "U-PER")
    # A gold O forbids every entity.
    assert zero_cost(system, batch, [gold]) == {"O"}
    step(system, batch, "O")
    assert zero_cost(system, batch, [gold]) == {"O", "U-PER", "U-LOC"}


def test_begin_on_a_missing_token_pays_for_the_next_one() -> None:
    system = BiluoSystem(["PER"])
    gold = system.gold_from_tags(["-", "O", "-"])
    batch = system.init_batch([make_doc(["a", "b", "c"])])
    assert zero_cost(system, batch, [gold]) == {"O", "U-PER"}


def test_dynamic_oracle_recovers_after_a_mistake() -> None:
    system = BiluoSystem(["PER", "LOC"])
    tags = ["B-PER", "L-PER", "O", "B-LOC", "I-LOC", "L-LOC"]
    gold = system.gold_from_tags(tags)
    batch = system.init_batch([make_doc(list("abcdef"))])
    costs = system.costs(batch, np.array([0]), [gold])[0]
    assert costs[system.action_names.index("U-PER")] > 0
    assert costs[system.action_names.index("O")] > 0
    assert costs[system.action_names.index("I-PER")] == INVALID_COST
    step(system, batch, "B-LOC")  # wrong label: the PER entity is lost
    free = zero_cost(system, batch, [gold])
    assert free == {"L-LOC"}  # ending now avoids swallowing more
    step(system, batch, "L-LOC")
    while not system.is_final(batch)[0]:
        a = int(np.argmin(system.costs(batch, np.array([0]), [gold])[0]))
        system.apply(batch, np.array([0]), np.array([a]))
    assert (3, 6, "LOC") in system.entities(batch, 0)


def test_entity_ending_early_or_late_costs() -> None:
    system = BiluoSystem(["PER"])
    gold = system.gold_from_tags(["B-PER", "I-PER", "L-PER", "O"])
    batch = system.init_batch([make_doc(list("abcd"))])
    step(system, batch, "B-PER")
    assert zero_cost(system, batch, [gold]) == {"I-PER"}
    step(system, batch, "I-PER")
    assert zero_cost(system, batch, [gold]) == {"L-PER"}


def test_blocked_tokens_and_negative_spans_forbid_entities() -> None:
    vocab = Vocab()
    words = ["Paris", "Hilton", "stayed", "home"]
    ref = make_doc(words, vocab)
    ref.set_ents([], blocked=[Span(ref, 0, 1)], default="missing")
    system = BiluoSystem(["PER", "LOC"])
    gold = system.make_gold(Example(make_doc(words, vocab), ref))
    assert gold.forbid.tolist() == [True, False, False, False]
    assert (gold.move == -1).all()
    batch = system.init_batch([make_doc(words, vocab)])
    assert zero_cost(system, batch, [gold]) == {"O"}

    ref2 = make_doc(words, vocab)
    ref2.set_ents([], default="missing")
    ref2.spans["incorrect"] = [Span(ref2, 0, 2, label="LOC")]
    system2 = BiluoSystem(["PER", "LOC"], incorrect_spans_key="incorrect")
    gold2 = system2.make_gold(Example(make_doc(words, vocab), ref2))
    assert gold2.neg is not None and gold2.neg[:2, 1].all() and not gold2.neg[:, 0].any()
    batch2 = system2.init_batch([make_doc(words, vocab)])
    assert zero_cost(system2, batch2, [gold2]) == {"O", "B-PER", "U-PER"}


def test_labels_from_examples_and_unknown_labels_are_missing() -> None:
    vocab = Vocab()
    ref = make_doc(["a", "b", "c"], vocab)
    ref.set_ents([Span(ref, 0, 1, label="PER"), Span(ref, 2, 3, label="GPE")])
    eg = Example(make_doc(["a", "b", "c"], vocab), ref)
    system = BiluoSystem(["PER"])
    assert system.labels_from_examples([eg]) == ["GPE", "PER"]
    gold = system.make_gold(eg)
    assert gold.move.tolist() == [UNIT, 0, -1]


def test_pieces_cloned_with_take_keep_their_state_and_gold() -> None:
    system = BiluoSystem(["PER"])
    doc = make_doc(list("abcdef"))
    gold = system.gold_from_tags(["O", "U-PER", "O", "B-PER", "L-PER", "O"])
    batch = system.init_batch([doc])
    system.set_gold(batch, [gold])
    for name in ("O", "U-PER", "O"):
        step(system, batch, name)
    piece = batch.take([0, 0])
    step(system, piece, "B-PER", state=1)
    assert piece.pos.tolist() == [3, 4] and batch.pos.tolist() == [3]
    costs = system.costs(piece, np.array([0, 1]))
    assert costs[0, system.action_names.index("B-PER")] == 0
    assert costs[1, system.action_names.index("L-PER")] == 0
    assert system.entities(piece, 1) == [(1, 2, "PER")]


def test_costs_need_a_gold() -> None:
    system = BiluoSystem(["PER"])
    batch = system.init_batch([make_doc(["a"])])
    with pytest.raises(DataError):
        system.costs(batch, np.array([0]))
    with pytest.raises(DataError):
        system.set_gold(batch, [system.gold_from_tags(["O", "O"])])


def test_cut_states_start_pieces_on_the_gold_path() -> None:
    system = BiluoSystem(["PER"])
    docs = [make_doc(list("abcdefg")), make_doc(list("xy"))]
    golds = [
        system.gold_from_tags(["O", "B-PER", "I-PER", "I-PER", "L-PER", "O", "U-PER"]),
        system.gold_from_tags(["U-PER", "O"]),
    ]
    batch = system.cut_states(docs, np.array([0, 7]), golds, 3, None)
    assert batch.doc_index.tolist() == [0, 0, 0, 1]
    assert batch.pos.tolist() == [0, 3, 6, 0]
    # The piece starting at token 3 is inside the gold entity opened at token 1.
    assert batch.ent_start.tolist() == [-1, 1, -1, -1]
    assert batch.ent_label.tolist() == [-1, 0, -1, -1]
    costs = system.costs(batch, np.arange(4), golds)
    assert costs[1, system.action_names.index("I-PER")] == 0
    assert costs[2, system.action_names.index("U-PER")] == 0
    # Rolling every piece out for at most 3 steps along the oracle covers each token.
    for _ in range(3):
        active = np.flatnonzero(~system.is_final(batch))
        actions = system.costs(batch, active, golds).argmin(axis=1)
        system.apply(batch, active, actions)
    assert batch.pos.tolist() == [3, 6, 7, 2]


def test_gold_from_iob_columns_matches_the_tag_path() -> None:
    rng = np.random.default_rng(3)
    vocab = Vocab()
    system = BiluoSystem(["PER", "LOC"])
    examples = []
    for trial in range(40):
        n = int(rng.integers(1, 12))
        words = [f"w{i}" for i in range(n)]
        ref = make_doc(words, vocab)
        ents, missing, blocked, i = [], [], [], 0
        while i < n:
            length = int(rng.integers(1, 4))
            end = min(n, i + length)
            kind = rng.choice(["ent", "O", "missing", "blocked"], p=[0.4, 0.3, 0.2, 0.1])
            if kind == "ent":
                ents.append(Span(ref, i, end, label=str(rng.choice(["PER", "LOC", "ORG"]))))
            elif kind == "missing":
                missing.append(Span(ref, i, end))
            elif kind == "blocked":
                blocked.append(Span(ref, i, end))
            i = end
        ref.set_ents(ents, missing=missing, blocked=blocked, default="outside")
        eg = Example(make_doc(words, vocab), ref)
        assert eg.alignment.is_identity
        fast = system.make_gold(eg)
        move, label = system._gold_moves_from_tags(eg.get_aligned_ents_and_ner()[1])
        assert fast.move.tolist() == move.tolist(), (trial, [t.ent_iob_ for t in ref])
        assert fast.label.tolist() == label.tolist()
        examples.append(eg)
    # The batch version (concatenated columns) gives the same golds, Doc by Doc.
    for one, batched in zip([system.make_gold(eg) for eg in examples], system.make_golds(examples), strict=True):
        for name in ("move", "label", "ent_start", "forbid"):
            assert getattr(one, name).tolist() == getattr(batched, name).tolist()
