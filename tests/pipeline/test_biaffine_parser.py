"""biaffine_parser: MST decoding, the network's shapes and gradients, learning, sentence
segmentation, serialization, a shared tok2vec, and training on UD English-EWT."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest
import torch

import treadle
from tests.helpers import make_listener_config, make_tok2vec_config
from treadle.config import Config
from treadle.errors import ConfigError
from treadle.ml import fix_random_seed
from treadle.pipeline._internal.mst import is_tree, mst_heads
from treadle.pipeline.biaffine_parser import sentence_segments
from treadle.training import Example
from treadle.training.converters import conllu_to_docs

T2V = make_tok2vec_config()
EWT = Path("/work/shared/data/ud_en_ewt")

DATA = [
    ("I like green eggs . They eat ham", [1, 1, 3, 1, 1, 6, 6, 6],
     ["nsubj", "ROOT", "amod", "dobj", "punct", "nsubj", "ROOT", "dobj"]),
    ("Eat blue ham . I like eggs", [0, 2, 0, 0, 5, 5, 5],
     ["ROOT", "amod", "dobj", "punct", "nsubj", "ROOT", "dobj"]),
    ("They hate green ham", [1, 1, 3, 1], ["nsubj", "ROOT", "amod", "dobj"]),
]  # fmt: skip


def parser_cfg(tok2vec=T2V, **extra):
    model = {"@architectures": "treadle.BiaffineParser.v1", "arc_width": 32, "label_width": 16,
             "tok2vec": tok2vec}  # fmt: skip
    return {"model": model, **extra}


def make_nlp(**extra) -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("biaffine_parser", config=parser_cfg(**extra))
    return nlp


def examples(nlp):
    return [Example.from_dict(nlp.make_doc(t), {"heads": h, "deps": d}) for t, h, d in DATA]


def train(nlp, exs, n=60):
    opt = nlp.initialize(lambda: exs)
    for _ in range(n):
        nlp.update(exs, sgd=opt)
    return opt


def parses(nlp, texts=None):
    texts = [t for t, _, _ in DATA] if texts is None else texts
    return [
        ([t.head.i for t in doc], [t.dep_ for t in doc], [t.is_sent_start for t in doc])
        for doc in nlp.pipe(texts)
    ]


def tree_score(scores, heads):
    return float(scores[np.arange(len(heads)), heads].sum())


def brute_force(scores, single_root):
    n = scores.shape[0]
    best, best_heads = -np.inf, None
    for cand in itertools.product(range(n + 1), repeat=n):
        h = np.asarray(cand)
        if (h == np.arange(1, n + 1)).any() or not is_tree(h):
            continue
        if single_root and (h == 0).sum() != 1:
            continue
        s = tree_score(scores, h)
        if s > best:
            best, best_heads = s, h
    return best, best_heads


def check_doc_trees(doc, root_label="ROOT"):
    """Every sentence of ``doc`` is one tree: one root (labelled ``root_label``, the only
    token so labelled), every head inside the sentence, no cycle; and the sentences are
    where the tree says they are."""
    sents = list(doc.sents)
    assert sum(len(s) for s in sents) == len(doc)
    for sent in sents:
        roots = [t for t in sent if t.head.i == t.i]
        assert len(roots) == 1, [(t.text, t.head.i) for t in sent]
        assert roots[0].dep_ == root_label
        for tok in sent:
            assert sent.start <= tok.head.i < sent.end
            if tok.head.i != tok.i:
                assert tok.dep_ != root_label
        local = np.asarray([0 if t.head.i == t.i else t.head.i - sent.start + 1 for t in sent])
        assert is_tree(local)
    # The starts written by the parser agree with the ones the tree implies.
    assert np.array_equal(doc._sent_start_mask(), doc._tree_sent_starts())


# ------------------------------------------------------------------ MST decoding


def test_mst_gives_single_rooted_trees():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 30, 120):
        scores = rng.normal(size=(n, n + 1))
        scores[:, 0] += 3.0  # many tokens would like ROOT
        heads = mst_heads(scores)
        assert heads.shape == (n,) and is_tree(heads)
        assert (heads == 0).sum() == 1
        multi = mst_heads(scores, single_root=False)
        assert is_tree(multi) and ((multi == 0).sum() > 1 or n == 1)
        assert tree_score(scores, multi) >= tree_score(scores, heads)


def test_mst_recovers_planted_non_projective_tree():
    rng = np.random.default_rng(1)
    for n in (5, 20, 60):
        # A random tree: each token after a random root picks an earlier-placed head.
        order = rng.permutation(n)
        heads = np.zeros(n, dtype=np.int64)
        for k in range(1, n):
            heads[order[k]] = order[rng.integers(0, k)] + 1
        scores = rng.normal(scale=0.5, size=(n, n + 1))
        scores[np.arange(n), heads] += 4.0
        assert np.array_equal(mst_heads(scores), heads)


def test_mst_breaks_cycles_like_brute_force():
    rng = np.random.default_rng(2)
    cycles = 0
    for _ in range(150):
        n = int(rng.integers(2, 5))
        scores = rng.normal(size=(n, n + 1))
        greedy = np.where(np.arange(n) + 1 == scores.argmax(1), 0, scores.argmax(1))
        cycles += not is_tree(greedy)
        for single in (True, False):
            best, _ = brute_force(scores, single)
            got = mst_heads(scores, single_root=single)
            assert is_tree(got)
            assert not single or (got == 0).sum() == 1
            assert tree_score(scores, got) == pytest.approx(best)
    assert cycles > 10  # the cases above did need cycle contraction


def test_mst_respects_forbidden_arcs():
    scores = np.zeros((3, 4))
    scores[:, 0] = -np.inf
    scores[1, 0] = 0.0  # only token 1 may be the root
    heads = mst_heads(scores)
    assert heads[1] == 0 and is_tree(heads)
    with pytest.raises(ValueError, match="ROOT"):
        mst_heads(np.full((2, 3), -np.inf))


def test_sentence_segments():
    starts = np.zeros(10, dtype=bool)
    starts[[0, 3, 5]] = True
    assert sentence_segments(starts, 100) == [(0, 3), (3, 5), (5, 10)]
    assert sentence_segments(starts, 2) == [(0, 2), (2, 3), (3, 5), (5, 7), (7, 9), (9, 10)]
    starts[0] = False  # the first token starts a sentence whatever it says
    assert sentence_segments(starts, 100) == [(0, 3), (3, 5), (5, 10)]
    assert sentence_segments(np.zeros(0, dtype=bool), 4) == []


# ------------------------------------------------------------------ the network


def test_forward_backward_shapes():
    nlp = make_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    parser = nlp.get_pipe("biaffine_parser")
    model = parser.model
    docs = [eg.predicted for eg in exs]
    model.train()
    reps, arcs = model(docs)
    lengths = [len(d) for d in docs]
    assert arcs.shape == (3, 8, 9)
    assert len(reps) == sum(lengths)
    # Padding heads and self-loops are masked; ROOT and real heads are not.
    assert (arcs[2, :, 5:] < -1e8).all() and (arcs[2, :4, :5] > -1e8).sum() == 4 * 5 - 4
    assert arcs[0, 3, 4] < -1e8
    deps = torch.tensor([0, 2, 8])
    heads = torch.tensor([1, 3, 9])
    labels = model.label_scores(reps, deps, heads)
    assert labels.shape == (3, len(parser.labels))
    params = dict(model.named_parameters())
    parser.get_loss(exs, parser_scores(parser, exs)).backward()
    # The biaffine weights start at zero: first they learn, then the rest can.
    for name in ("arc_U", "arc_u", "label_W", "dist_bias", "dist_dep"):
        assert params[name].grad.abs().sum() > 0, name
    model.zero_grad()
    with torch.no_grad():
        for name in ("arc_U", "arc_u", "label_W"):
            params[name].normal_()
    parser.get_loss(exs, parser_scores(parser, exs)).backward()
    for name in (
        "root",
        "arc_dep.weight",
        "arc_head.weight",
        "label_dep.weight",
        "label_head.weight",
    ):
        assert params[name].grad.abs().sum() > 0, name
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.tok2vec.parameters())


def parser_scores(parser, exs):
    from treadle.pipeline.biaffine_parser import TrainScores

    gold = parser._gold(exs)
    rows = parser._training_rows(exs, gold)
    reps, arcs = parser.model([eg.predicted for eg in exs], rows)
    return TrainScores(reps, arcs, rows, gold)


def test_factory_defaults_and_errors():
    nlp = treadle.blank("en")
    parser = nlp.add_pipe("biaffine_parser")
    cfg = nlp.get_pipe_config("biaffine_parser")
    assert cfg["model"]["@architectures"] == "treadle.BiaffineParser.v1"
    assert cfg["model"]["arc_width"] == 256 and cfg["model"]["label_width"] == 64
    assert cfg["max_sentence_length"] == 256 and parser.max_sentence_length == 256
    with pytest.raises(ConfigError, match="max_sentence_length"):
        nlp.add_pipe("biaffine_parser", name="p2", config={"max_sentence_length": 1})
    with pytest.raises(ConfigError, match="arc_width"):
        nlp.add_pipe("biaffine_parser", name="p3", config=parser_cfg() | {"model": {
            **parser_cfg()["model"], "arc_width": 0}})  # fmt: skip


def test_training_config_lists_the_component():
    text = """
[nlp]
lang = "en"
pipeline = ["tok2vec", "biaffine_parser"]

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "treadle.HashEmbedCNN.v1"
width = 32
depth = 1
embed_size = 500
window_size = 1
maxout_pieces = 2
subword_features = false

[components.biaffine_parser]
factory = "biaffine_parser"
max_sentence_length = 64

[components.biaffine_parser.model]
@architectures = "treadle.BiaffineParser.v1"
arc_width = 24

[components.biaffine_parser.model.tok2vec]
@architectures = "treadle.Tok2VecListener.v1"
width = 32
upstream = "*"
"""
    nlp = treadle.Language.from_config(Config().from_str(text))
    parser = nlp.get_pipe("biaffine_parser")
    assert parser.max_sentence_length == 64 and parser.model.arc_width == 24
    assert parser.model.label_width == 64  # the architecture's default filled in
    assert "biaffine_parser" in nlp.get_pipe("tok2vec").listening_components
    filled = nlp.config["components"]["biaffine_parser"]
    assert filled["model"]["label_width"] == 64
    again = treadle.Language.from_config(Config().from_str(nlp.config.to_str()))
    assert again.pipe_names == ["tok2vec", "biaffine_parser"]
    train(nlp, examples(nlp), n=5)
    check_doc_trees(nlp("They eat ham . I like eggs"))


# ------------------------------------------------------------------ learning


def test_learns_trees_labels_and_sentences():
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs)
    parser = nlp.get_pipe("biaffine_parser")
    assert set(parser.labels) == {"nsubj", "amod", "dobj", "punct"}
    assert parser.root_label == "ROOT"
    for (heads, deps, _), (_, gold_heads, gold_deps) in zip(parses(nlp), DATA, strict=True):
        assert heads == gold_heads
        assert deps == gold_deps
    _, _, starts = parses(nlp)[0]
    assert starts[5] is True and sum(bool(s) for s in starts) == 2
    scores = nlp.evaluate(exs)
    assert scores["dep_uas"] == 1.0 and scores["dep_las"] == 1.0 and scores["sents_f"] == 1.0


def test_raw_text_gives_one_tree_per_predicted_sentence():
    # Sentences come from the learned sentence starts; one longer than
    # max_sentence_length is still one tree, decoded in pieces.
    nlp = make_nlp(max_sentence_length=3)
    train(nlp, examples(nlp), n=30)
    doc = nlp("I like green eggs . They eat ham")
    check_doc_trees(doc)
    assert [s.start for s in doc.sents] == [0, 5]
    texts = [" ".join(t for t, _, _ in DATA), " . ".join(t for t, _, _ in DATA * 3), "ham"]
    for doc in nlp.pipe(texts):
        check_doc_trees(doc)


def test_long_doc_is_scored_in_bounded_windows(monkeypatch):
    nlp = make_nlp(max_sentence_length=16)
    train(nlp, examples(nlp), n=10)
    model = nlp.get_pipe("biaffine_parser").model
    shapes = []
    real = model.arc_scores

    def recording(reps, rows):
        out = real(reps, rows)
        shapes.append(tuple(out.shape))
        return out

    monkeypatch.setattr(model, "arc_scores", recording)
    doc = nlp(" ".join(["they eat green ham and I like eggs"] * 250))  # 2,000 tokens
    assert len(doc) == 2000
    check_doc_trees(doc)
    assert shapes and max(s[1] for s in shapes) <= 16
    assert sum(s[0] * s[1] for s in shapes) >= len(doc)  # every token was scored


def test_forward_loss_can_annotate():
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs, n=30)
    fresh = examples(nlp)
    loss = nlp.get_pipe("biaffine_parser").forward_loss(fresh, set_annotations=True)
    assert loss is not None and loss.requires_grad
    for eg in fresh:
        assert eg.predicted.has_annotation("DEP")
        check_doc_trees(eg.predicted)


def test_preset_sentences_are_parsed_one_by_one():
    nlp = make_nlp()
    train(nlp, examples(nlp), n=30)
    doc = nlp.make_doc("I like green eggs they eat ham and they hate ham")
    for i, tok in enumerate(doc):
        tok.is_sent_start = i in (0, 4, 7)
    doc = nlp.get_pipe("biaffine_parser")(doc)
    check_doc_trees(doc)
    assert [s.start for s in doc.sents] == [0, 4, 7]
    # A preset sentence longer than max_sentence_length is still one tree.
    nlp.get_pipe("biaffine_parser").cfg["max_sentence_length"] = 3
    doc = nlp.make_doc("I like green eggs they eat ham")
    for i, tok in enumerate(doc):
        tok.is_sent_start = i == 0
    doc = nlp.get_pipe("biaffine_parser")(doc)
    check_doc_trees(doc)
    assert len(list(doc.sents)) == 1


def test_no_annotation_gives_no_loss_and_empty_docs():
    nlp = make_nlp()
    exs = examples(nlp)
    train(nlp, exs, n=2)
    bare = [Example.from_dict(nlp.make_doc("They eat ham"), {})]
    assert nlp.get_pipe("biaffine_parser").forward_loss(bare) is None
    docs = list(nlp.pipe(["", "ham"]))
    assert len(docs[0]) == 0 and docs[1][0].head.i == 0 and docs[1][0].dep_ == "ROOT"


def test_round_trip_identical_parses(tmp_path: Path):
    nlp = make_nlp()
    train(nlp, examples(nlp), n=20)
    texts = ["They like green eggs . I eat ham", "Eat ham"]
    before = parses(nlp, texts)
    nlp.to_disk(tmp_path / "p")
    loaded = treadle.load(tmp_path / "p")
    assert loaded.get_pipe("biaffine_parser").labels == nlp.get_pipe("biaffine_parser").labels
    assert parses(loaded, texts) == before
    blank = make_nlp()
    blank.get_pipe("biaffine_parser").from_bytes(nlp.get_pipe("biaffine_parser").to_bytes())
    assert parses(blank, texts) == before


def test_add_label_keeps_parses_and_learns_it():
    nlp = make_nlp()
    exs = examples(nlp)
    opt = train(nlp, exs)
    before = parses(nlp)
    parser = nlp.get_pipe("biaffine_parser")
    n = parser.model.nO
    assert parser.add_label("iobj") == 1 and parser.add_label("iobj") == 0
    assert parser.model.nO == n + 1
    assert parses(nlp) == before
    new = Example.from_dict(nlp.make_doc("I give them eggs"),
                            {"heads": [1, 1, 1, 1], "deps": ["nsubj", "ROOT", "iobj", "dobj"]})  # fmt: skip
    for _ in range(40):
        nlp.update([*exs, new], sgd=opt)
    assert parses(nlp, ["I give them eggs"])[0][1][2] == "iobj"


def test_shared_tok2vec_listener():
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tok2vec", config={"model": T2V})
    nlp.add_pipe("biaffine_parser", config=parser_cfg(tok2vec=make_listener_config()))
    assert "biaffine_parser" in nlp.get_pipe("tok2vec").listening_components
    exs = examples(nlp)
    t2v = {k: v.clone() for k, v in nlp.get_pipe("tok2vec").model.state_dict().items()}
    train(nlp, exs, n=60)
    after = nlp.get_pipe("tok2vec").model.state_dict()
    assert not all(torch.equal(t2v[k], after[k]) for k in t2v)  # the parser's loss reached it
    assert nlp.evaluate(exs)["dep_uas"] > 0.9


# ------------------------------------------------------------------ real data


def ewt_examples(nlp, name, n_docs, n_sents):
    from itertools import islice

    docs = islice(conllu_to_docs(EWT / name, nlp.vocab, n_sents=n_sents), n_docs)
    return [Example(nlp.make_doc(d.text), d) for d in docs]


@pytest.mark.slow
@pytest.mark.skipif(not EWT.exists(), reason="needs /work/shared/data/ud_en_ewt")
def test_learns_ewt_and_segments_raw_text():
    fix_random_seed(0)
    torch.set_num_threads(1)
    nlp = treadle.blank("en")
    t2v = make_tok2vec_config(width=64, depth=2, embed_size=2000, subword_features=True)
    nlp.add_pipe("biaffine_parser", config=parser_cfg(tok2vec=t2v) | {"model": {
        **parser_cfg(tok2vec=t2v)["model"], "arc_width": 128, "label_width": 32}})  # fmt: skip
    train_exs = ewt_examples(nlp, "en_ewt-ud-train.conllu", 200, n_sents=3)  # 600 sentences
    dev = ewt_examples(nlp, "en_ewt-ud-dev.conllu", 50, n_sents=3)
    opt = nlp.initialize(lambda: train_exs)
    rng = random.Random(0)
    for _ in range(3):
        rng.shuffle(train_exs)
        for i in range(0, len(train_exs), 8):
            nlp.update(train_exs[i : i + 8], sgd=opt, drop=0.2)
    scores = nlp.evaluate(dev)
    # ~0.6 UAS, ~0.45 LAS here; attaching every token to its right neighbour gives ~0.3.
    assert scores["dep_uas"] > 0.5, scores["dep_uas"]
    assert scores["dep_las"] > 0.35, scores["dep_las"]
    # Three sentences a Doc, split by the learned sentence starts: ~0.77 here (one tree
    # a Doc would find none of them, sentence F 0; cutting where no arc crossed gave 0.10).
    assert scores["sents_f"] > 0.6, scores["sents_f"]
    assert nlp.get_pipe("biaffine_parser").root_label == "root"  # UD's, from the data
    for doc in nlp.pipe([eg.reference.text for eg in dev[:20]]):
        check_doc_trees(doc, "root")
