"""Arc-eager transition system: transitions, preconditions, oracles, costs."""

from __future__ import annotations

import numpy as np

from treadle.pipeline._internal.transition.arc_eager import BREAK, REDUCE, SHIFT, ArcEager
from treadle.pipeline._internal.transition.system import INVALID_COST, StateBatch
from treadle.tokens import Doc, nonproj
from treadle.training import Example


def make_example(vocab, words, heads, deps, pred_words=None):
    ref = Doc(vocab, words=words, heads=heads, deps=deps)
    return Example(Doc(vocab, words=pred_words or words), ref)


def system_for(*examples) -> ArcEager:
    moves = ArcEager()
    for label in moves.labels_from_examples(examples):
        moves.add_label(label)
    return moves


def act(moves, batch, name, row=0):
    moves.apply(batch, np.array([row]), np.array([moves.action_id(name)]))


def valid_names(moves, batch, row=0):
    mask = moves.valid_mask(batch, np.array([row]))[0]
    return {n for n, ok in zip(moves.action_names, mask, strict=True) if ok}


TWO_SENTS = (
    ["She", "saw", "the", "man", ".", "He", "ran"],
    [1, 1, 3, 1, 1, 6, 6],
    ["nsubj", "ROOT", "det", "obj", "punct", "nsubj", "ROOT"],
)


def test_action_layout_new_labels_append(vocab):
    moves = ArcEager(["nsubj", "obj"])
    assert moves.action_names[:3] == ["SHIFT", "REDUCE", "BREAK"]
    before = moves.action_names
    assert moves.add_label("det") is True
    assert moves.add_label("det") is False
    assert moves.action_names[: len(before)] == before
    assert moves.action_names[-2:] == ["LEFT-det", "RIGHT-det"]
    assert moves.n_actions == 3 + 2 * 3


def test_transitions_and_preconditions(vocab):
    moves = ArcEager(["nsubj", "obj", "det"])
    doc = Doc(vocab, words=["a", "b", "c", "d"])
    batch = moves.init_batch([doc])
    # Empty stack: only SHIFT.
    assert valid_names(moves, batch) == {"SHIFT"}
    act(moves, batch, "SHIFT")
    assert batch.stack_len[0] == 1 and batch.buf[0] == 1
    # s0 headless with a buffer: no REDUCE; LEFT, RIGHT, BREAK allowed.
    names = valid_names(moves, batch)
    assert "REDUCE" not in names and {"SHIFT", "BREAK", "LEFT-det", "RIGHT-obj"} <= names
    act(moves, batch, "LEFT-det")  # a <- b
    assert batch.heads[0, 0] == 1 and moves.labels[batch.labels[0, 0]] == "det"
    assert batch.stack_len[0] == 0 and batch.kids[0, 1, 0] == 0
    act(moves, batch, "SHIFT")  # push b
    # b has a left dependent now; BREAK before c is still fine (c has none).
    act(moves, batch, "RIGHT-obj")  # b -> c, push c
    assert batch.heads[0, 2] == 1 and batch.kids[0, 1, 2] == 2 and batch.stack_len[0] == 2
    names = valid_names(moves, batch)
    assert "REDUCE" in names  # c has a head
    act(moves, batch, "REDUCE")
    assert batch.stack_len[0] == 1 and not batch.on_stack[0, 2]
    act(moves, batch, "SHIFT")  # push d: buffer empty now
    names = valid_names(moves, batch)
    # No buffer: only REDUCE (a headless d becomes a root).
    assert names == {"REDUCE"}
    act(moves, batch, "REDUCE")
    act(moves, batch, "REDUCE")
    assert moves.is_final(batch)[0]
    heads, labels, starts = moves.parse_of(batch, 0)
    # b and d are both headless in one sentence: d attaches to b.
    assert heads == [1, 1, 1, 1]
    assert labels[1] == moves.root_label and labels[3] == "dep"
    assert starts.tolist() == [True, False, False, False]


def test_break_needs_no_left_dependents_and_empties_stack(vocab):
    moves = ArcEager(["x"])
    doc = Doc(vocab, words=["a", "b", "c", "d"])
    batch = moves.init_batch([doc])
    act(moves, batch, "SHIFT")
    act(moves, batch, "SHIFT")
    act(moves, batch, "LEFT-x")  # b <- c
    assert "BREAK" not in valid_names(moves, batch)
    act(moves, batch, "SHIFT")  # stack a c, buffer d
    assert "BREAK" in valid_names(moves, batch)
    act(moves, batch, "BREAK")
    assert batch.stack_len[0] == 0 and not batch.on_stack[0].any()
    assert batch.sent_start[0, 3] == 1
    assert valid_names(moves, batch) == {"SHIFT"}  # no BREAK on an empty stack


def test_batch_steps_states_independently(vocab):
    moves = ArcEager(["x"])
    docs = [Doc(vocab, words=["a", "b"]), Doc(vocab, words=["c"]), Doc(vocab, words=[])]
    batch = moves.init_batch(docs)
    assert moves.is_final(batch).tolist() == [False, False, True]
    moves.apply(batch, np.array([0, 1]), np.array([SHIFT, SHIFT]))
    moves.apply(batch, np.array([0, 1]), np.array([moves.action_id("RIGHT-x"), REDUCE]))
    assert moves.is_final(batch).tolist() == [False, True, True]
    assert batch.heads[0, 1] == 0


def test_features_are_packed_rows(vocab):
    moves = ArcEager(["x"])
    docs = [Doc(vocab, words=["a", "b", "c"]), Doc(vocab, words=["d", "e"])]
    offsets = np.array([0, 3])
    batch = moves.init_batch(docs, offsets)
    feats = moves.features(batch, np.array([0, 1]))
    assert feats.shape == (2, moves.n_features())
    # Empty stacks; b0 b1 b2 are the first buffer tokens, as packed rows.
    assert feats[0, :6].tolist() == [-1, -1, -1, 0, 1, 2]
    assert feats[1, :6].tolist() == [-1, -1, -1, 3, 4, -1]
    moves.apply(batch, np.array([1]), np.array([SHIFT]))
    moves.apply(batch, np.array([1]), np.array([moves.action_id("LEFT-x")]))
    feats = moves.features(batch, np.array([1]))
    assert feats[0, 3] == 4  # b0 = e
    assert feats[0, 12] == 3  # b0's leftmost dependent = d
    extra = moves.features(batch, np.array([1]), True)
    assert extra.shape == (1, moves.n_features("parser", True))


def test_static_oracle_rebuilds_gold_with_sentences(vocab):
    eg = make_example(vocab, *TWO_SENTS)
    moves = system_for(eg)
    gold = moves.make_gold(eg)
    batch = moves.init_batch([eg.predicted])
    history = moves.oracle_actions(batch, [gold])[0]
    names = [moves.action_names[a] for a in history]
    assert names.count("BREAK") == 1
    heads, labels, starts = moves.parse_of(batch, 0)
    assert heads == TWO_SENTS[1]
    assert [lab for lab, h in zip(labels, heads, strict=True)] == [
        "nsubj", moves.root_label, "det", "obj", "punct", "nsubj", moves.root_label
    ]
    assert starts.tolist() == [True, False, False, False, False, True, False]


def random_projective_tree(rng, n):
    """A random projective tree over n tokens: recursive split around a root."""
    heads = [0] * n

    def build(lo, hi, head):
        if lo >= hi:
            return
        r = int(rng.integers(lo, hi))
        heads[r] = head if head >= 0 else r
        build(lo, r, r)
        build(r + 1, hi, r)

    build(0, n, -1)
    return heads


def test_any_zero_cost_path_rebuilds_projective_trees(vocab):
    rng = np.random.default_rng(1)
    for trial in range(40):
        n_sents = int(rng.integers(1, 4))
        words, heads = [], []
        for _ in range(n_sents):
            n = int(rng.integers(1, 12))
            sub = random_projective_tree(rng, n)
            base = len(words)
            heads.extend(h + base for h in sub)
            words.extend(f"w{base + i}" for i in range(n))
        labels = [("root" if h == i else ["a", "b", "c"][i % 3]) for i, h in enumerate(heads)]
        eg = make_example(vocab, words, heads, labels)
        moves = system_for(eg)
        gold = moves.make_gold(eg)
        batch = moves.init_batch([eg.predicted])
        # A random choice among the zero-cost actions at each step.
        moves.oracle_actions(batch, [gold], rng=rng)
        got_heads, got_labels, starts = moves.parse_of(batch, 0)
        assert got_heads == heads, trial
        assert [g for g, h in zip(got_labels, heads, strict=True)] == [
            moves.root_label if h == i else labels[i] for i, h in enumerate(heads)
        ]
        assert starts.tolist() == eg.reference.to_array("SENT_START").__eq__(1).tolist()


def test_nonprojective_tree_through_lifting(vocab):
    # "A hearing is scheduled on the issue today": "on" attaches to "hearing" across
    # "is scheduled": a non-projective arc.
    words = ["A", "hearing", "is", "scheduled", "on", "the", "issue", "today", "."]
    heads = [1, 3, 3, 3, 1, 6, 4, 3, 3]
    deps = ["det", "nsubj", "aux", "ROOT", "nmod", "det", "pobj", "tmod", "punct"]
    assert nonproj.is_nonproj_tree(heads)
    eg = make_example(vocab, words, heads, deps)
    moves = system_for(eg)
    assert any(nonproj.DELIMITER in lab for lab in moves.labels)
    gold = moves.make_gold(eg)
    batch = moves.init_batch([eg.predicted])
    moves.oracle_actions(batch, [gold])
    docs = [Doc(vocab, words=words)]
    moves.set_annotations(batch, docs)
    assert [t.head.i for t in docs[0]] == heads
    assert [t.dep_ for t in docs[0]][:3] == ["det", "nsubj", "aux"]
    assert docs[0][4].dep_ == "nmod"


def test_dynamic_oracle_costs_small_cases(vocab):
    # a <- b: LEFT costs 0, SHIFT and RIGHT lose the arc.
    eg = make_example(vocab, ["a", "b"], [1, 1], ["x", "ROOT"])
    moves = system_for(eg)
    gold = moves.make_gold(eg)
    batch = moves.init_batch([eg.predicted])
    act(moves, batch, "SHIFT")
    cost = moves.costs(batch, np.array([0]), [gold])[0]
    names = moves.action_names
    by_name = dict(zip(names, cost.tolist(), strict=True))
    assert by_name["LEFT-x"] == 0
    assert by_name["RIGHT-x"] >= 1 and by_name["SHIFT"] >= 1
    assert by_name["REDUCE"] == INVALID_COST  # headless with a buffer
    assert by_name["BREAK"] >= 1  # b is not a sentence start


def test_wrong_label_costs_one(vocab):
    eg = make_example(vocab, ["a", "b"], [0, 0], ["ROOT", "obj"])
    moves = system_for(eg)
    moves.add_label("nsubj")
    gold = moves.make_gold(eg)
    batch = moves.init_batch([eg.predicted])
    act(moves, batch, "SHIFT")
    cost = dict(zip(moves.action_names, moves.costs(batch, np.array([0]), [gold])[0].tolist(), strict=True))
    assert cost["RIGHT-obj"] == 0
    assert cost["RIGHT-nsubj"] == 1
    assert cost["LEFT-obj"] >= 1  # a is the root


def test_after_a_mistake_zero_cost_actions_keep_best_reachable(vocab):
    # Gold: a <- c, b <- c, c root. Mistake: RIGHT a -> b.
    eg = make_example(vocab, ["a", "b", "c"], [2, 2, 2], ["x", "x", "ROOT"])
    moves = system_for(eg)
    gold = moves.make_gold(eg)
    batch = moves.init_batch([eg.predicted])
    act(moves, batch, "SHIFT")
    act(moves, batch, "RIGHT-x")  # b now has the wrong head
    # Follow zero-cost actions from here: a <- c must still be built, c the root.
    while not moves.is_final(batch)[0]:
        cost = moves.costs(batch, np.array([0]), [gold])[0]
        assert cost.min() == 0
        moves.apply(batch, np.array([0]), np.array([int(cost.argmin())]))
    heads, _, _ = moves.parse_of(batch, 0)
    assert heads[0] == 2 and heads[2] == 2 and heads[1] == 0


def test_missing_heads_cost_nothing(vocab):
    words = ["a", "b", "c"]
    ref = Doc(vocab, words=words, heads=[1, None, None], deps=["x", None, None])
    eg = Example(Doc(vocab, words=words), ref)
    moves = system_for(eg)
    gold = moves.make_gold(eg)
    assert gold.heads.tolist() == [1, -1, -1]
    batch = moves.init_batch([eg.predicted])
    act(moves, batch, "SHIFT")
    act(moves, batch, "LEFT-x")
    act(moves, batch, "SHIFT")
    # b's head is unknown: attaching c to b, shifting or reducing later all cost 0.
    cost = dict(zip(moves.action_names, moves.costs(batch, np.array([0]), [gold])[0].tolist(), strict=True))
    assert cost["RIGHT-x"] == 0 and cost["SHIFT"] == 0 and cost["LEFT-x"] == 0


def test_invalid_actions_get_invalid_cost(vocab):
    eg = make_example(vocab, *TWO_SENTS)
    moves = system_for(eg)
    gold = moves.make_gold(eg)
    batch = moves.init_batch([eg.predicted])
    cost = moves.costs(batch, np.array([0]), [gold])[0]
    valid = moves.valid_mask(batch, np.array([0]))[0]
    assert (cost[~valid] == INVALID_COST).all()
    assert valid.tolist() == [True] + [False] * (moves.n_actions - 1)


def test_cut_states_cover_long_docs(vocab):
    rng = np.random.default_rng(3)
    heads = random_projective_tree(rng, 30)
    labels = ["root" if h == i else "x" for i, h in enumerate(heads)]
    eg = make_example(vocab, [f"w{i}" for i in range(30)], heads, labels)
    moves = system_for(eg)
    gold = moves.make_gold(eg)
    batch = moves.cut_states([eg.predicted], np.array([0]), [gold], 10, rng)
    assert isinstance(batch, StateBatch)
    assert batch.n_states >= 6  # ~60 steps in pieces of 10
    assert (batch.doc_index == 0).all()
    # Pieces start along the gold path: rolling each out with the oracle for at most
    # 10 steps never costs anything.
    for _ in range(10):
        active = np.flatnonzero(~moves.is_final(batch))
        if not len(active):
            break
        cost = moves.costs(batch, active)
        assert (cost.min(axis=1) == 0).all()
        moves.apply(batch, active, cost.argmin(axis=1))


def test_break_cost_respects_gold_boundaries(vocab):
    eg = make_example(vocab, *TWO_SENTS)
    moves = system_for(eg)
    gold = moves.make_gold(eg)
    batch = moves.init_batch([eg.predicted])
    for name in ["SHIFT", "LEFT-nsubj", "SHIFT", "SHIFT", "LEFT-det", "RIGHT-obj", "REDUCE", "RIGHT-punct", "REDUCE"]:
        act(moves, batch, name)
    cost = moves.costs(batch, np.array([0]), [gold])[0]
    assert cost[BREAK] == 0
    assert cost[SHIFT] >= 1  # would merge the sentences
