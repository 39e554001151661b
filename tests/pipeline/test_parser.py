"""parser component: labels, learning, serialization, resumed training, shared tok2vec."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import treadle
from tests.helpers import make_listener_config, make_tok2vec_config
from treadle.errors import ConfigError
from treadle.ml import fix_random_seed
from treadle.training import Example

T2V = make_tok2vec_config()
LISTENER = make_listener_config()


def parser_cfg(tok2vec=T2V, **extra):
    return {
        "model": {"@architectures": "treadle.TransitionBasedParser.v1", "state_type": "parser",
                  "hidden_width": 32, "maxout_pieces": 2, "use_upper": True, "tok2vec": tok2vec},
        "min_action_freq": 1,
        **extra,
    }


# Two-sentence docs so sentence segmentation is learned too.
DATA = [
    ("I like green eggs . They eat ham", [1, 1, 3, 1, 1, 6, 6, 6],
     ["nsubj", "ROOT", "amod", "dobj", "punct", "nsubj", "ROOT", "dobj"]),
    ("Eat blue ham . I like eggs", [0, 2, 0, 0, 5, 5, 5],
     ["ROOT", "amod", "dobj", "punct", "nsubj", "ROOT", "dobj"]),
    ("They hate green ham", [1, 1, 3, 1], ["nsubj", "ROOT", "amod", "dobj"]),
]


def make_nlp(**extra) -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("parser", config=parser_cfg(**extra))
    return nlp


def examples(nlp):
    return [Example.from_dict(nlp.make_doc(t), {"heads": h, "deps": d}) for t, h, d in DATA]


def train(nlp, exs, n=60, **kw):
    opt = nlp.initialize(lambda: exs)
    for _ in range(n):
        nlp.update(exs, sgd=opt, **kw)
    return opt


def parses(nlp, texts=None):
    out = []
    for doc in nlp.pipe([t for t, _, _ in DATA] if texts is None else texts):
        out.append(([t.head.i for t in doc], [t.dep_ for t in doc], [t.is_sent_start for t in doc]))
    return out


def test_factory_defaults_and_score_weights():
    nlp = treadle.blank("en")
    parser = nlp.add_pipe("parser")
    cfg = nlp.get_pipe_config("parser")
    assert cfg["model"]["@architectures"] == "treadle.TransitionBasedParser.v1"
    assert cfg["model"]["hidden_width"] == 64 and cfg["model"]["maxout_pieces"] == 2
    assert cfg["update_with_oracle_cut_size"] == 100 and cfg["min_action_freq"] == 30
    assert cfg["learn_tokens"] is False
    assert parser.cfg["beam_width"] == 1
    weights = nlp.config["training"]["score_weights"] if "training" in nlp.config else {}
    if weights:
        assert weights.get("dep_uas") == 0.5 and weights.get("dep_las") == 0.5


def test_unsupported_settings_raise():
    nlp = treadle.blank("en")
    with pytest.raises(ConfigError, match="beam_width"):
        nlp.add_pipe("parser", config={"beam_width": 0})
    with pytest.raises(ConfigError, match="learn_tokens"):
        nlp.add_pipe("parser", name="p2", config={"learn_tokens": True})


def test_labels_and_rare_label_collapse():
    nlp = make_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    parser = nlp.get_pipe("parser")
    assert set(parser.labels) == {"nsubj", "amod", "dobj", "punct"}
    assert parser.cfg["root_label"] == "ROOT"
    assert parser.model.nO == parser.moves.n_actions == 3 + 2 * 4
    nlp2 = make_nlp(min_action_freq=3)
    nlp2.initialize(lambda: examples(nlp2))
    # nsubj (4), dobj (4), amod (3) stay; punct (2) collapses into "dep".
    assert set(nlp2.get_pipe("parser").labels) == {"nsubj", "amod", "dobj", "dep"}


def test_parser_learns_trees_and_sentences():
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs)
    for (heads, deps, starts), (_, gold_heads, gold_deps) in zip(parses(nlp), DATA, strict=True):
        assert heads == gold_heads
        assert deps == gold_deps
        assert starts[0] is True
    _, _, starts = parses(nlp)[0]
    assert starts[5] is True and sum(bool(s) for s in starts) == 2
    scores = nlp.evaluate(exs)
    assert scores["dep_uas"] == 1.0 and scores["dep_las"] == 1.0 and scores["sents_f"] == 1.0


def test_no_annotation_gives_no_loss():
    nlp = make_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    bare = [Example.from_dict(nlp.make_doc("They eat ham"), {})]
    assert nlp.get_pipe("parser").forward_loss(bare) is None


def test_round_trip_identical_parses(tmp_path: Path):
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs, n=20)
    texts = ["They like green eggs . I eat ham", "Eat ham"]
    before = parses(nlp, texts)
    nlp.to_disk(tmp_path / "p")
    loaded = treadle.load(tmp_path / "p")
    assert parses(loaded, texts) == before
    blank = make_nlp()
    blank.get_pipe("parser").from_bytes(nlp.get_pipe("parser").to_bytes())
    assert parses(blank, texts) == before


def test_resumed_training_with_new_label_keeps_old_parses():
    nlp = make_nlp()
    exs = examples(nlp)
    opt = train(nlp, exs)
    before = parses(nlp)
    parser = nlp.get_pipe("parser")
    n_before = parser.model.nO
    assert parser.add_label("iobj") == 1
    assert parser.add_label("iobj") == 0
    assert parser.model.nO == n_before + 2
    assert parser.move_names[-2:] == ["LEFT-iobj", "RIGHT-iobj"]
    assert parses(nlp) == before
    new = Example.from_dict(nlp.make_doc("I give them eggs"),
                            {"heads": [1, 1, 1, 1], "deps": ["nsubj", "ROOT", "iobj", "dobj"]})
    for _ in range(40):
        nlp.update([*exs, new], sgd=opt)
    heads, deps, _ = parses(nlp, ["I give them eggs"])[0]
    assert deps[2] == "iobj"


def test_shared_tok2vec_listener_and_frozen():
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tok2vec", config={"model": T2V})
    nlp.add_pipe("parser", config=parser_cfg(tok2vec=LISTENER))
    assert "parser" in nlp.get_pipe("tok2vec").listening_components
    exs = examples(nlp)
    opt = nlp.initialize(lambda: exs)
    for _ in range(60):
        losses = nlp.update(exs, sgd=opt)
    assert losses["parser"] >= 0
    assert nlp.evaluate(exs)["dep_uas"] > 0.9
    # Frozen tok2vec: the parser keeps training on the detached outputs.
    t2v = {k: v.clone() for k, v in nlp.get_pipe("tok2vec").model.state_dict().items()}
    for _ in range(3):
        nlp.update(exs, sgd=opt, exclude=["tok2vec"])
    after = nlp.get_pipe("tok2vec").model.state_dict()
    assert all(np.array_equal(t2v[k].numpy(), after[k].numpy()) for k in t2v)


def test_cut_size_trains_long_docs():
    nlp = make_nlp(update_with_oracle_cut_size=4)
    exs = examples(nlp)
    train(nlp, exs, n=60)
    assert nlp.evaluate(exs)["dep_uas"] > 0.9


def test_empty_docs():
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs, n=2)
    docs = list(nlp.pipe(["", "ham"]))
    assert len(docs[0]) == 0 and docs[1][0].head.i == 0


@pytest.mark.slow
def test_parser_learns_ewt_sample(sample_examples):
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("parser", config={"min_action_freq": 5})
    train_exs = sample_examples(nlp, "ewt-sample-train.conllu", 600, tokenize=True)
    dev = sample_examples(nlp, "ewt-sample-dev.conllu", 200, tokenize=True)
    opt = nlp.initialize(lambda: train_exs)
    rng = random.Random(0)
    for _ in range(4):
        rng.shuffle(train_exs)
        for i in range(0, len(train_exs), 16):
            nlp.update(train_exs[i : i + 16], sgd=opt, drop=0.1)
    scores = nlp.evaluate(dev)
    # Baseline: attach every token to the next one (the last to the one before).
    correct = total = 0
    for eg in dev:
        for tok in eg.reference:
            if tok.dep_.lower() in ("punct", "p") or not tok.dep_:
                continue
            guess = tok.i + 1 if tok.i + 1 < len(eg.reference) else tok.i - 1
            correct += tok.head.i == guess
            total += 1
    baseline = correct / total
    assert scores["dep_uas"] > baseline + 0.2, (scores["dep_uas"], baseline)
    assert scores["dep_las"] > 0.4


def test_sourced_parser_gives_same_parses():
    src = make_nlp()
    train(src, examples(src), n=20)
    texts = ["They like green eggs . I eat ham"]
    nlp = treadle.blank("en")
    nlp.add_pipe("parser", source=src)
    assert parses(nlp, texts) == parses(src, texts)
