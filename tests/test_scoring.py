import pytest

from treadle.scoring import PRFScore, Scorer, get_score_weights, roc_auc, weighted_score
from treadle.tokens import Doc
from treadle.training import Example


def make_example(vocab, gold_words, pred_words, **gold_annotations):
    reference = Doc(vocab, words=gold_words, **gold_annotations)
    predicted = Doc(vocab, words=pred_words)
    return Example(predicted, reference)


def test_tag_acc_counts_tokenization_errors_as_wrong(vocab):
    ex = make_example(vocab, ["I", "do", "n't", "know"], ["I", "don't", "know"],
                      spaces=[True, False, True, False], tags=["PRP", "VBP", "RB", "VB"])
    ex.predicted[0].tag_ = "PRP"
    ex.predicted[2].tag_ = "NN"  # wrong
    scores = Scorer.score_token_attr([ex], "tag_")
    # 1 of 4 gold tokens right: "do" and "n't" have no predicted token, "know" is wrong.
    assert scores["tag_acc"] == pytest.approx(0.25)


def test_token_attr_skips_missing_gold_and_unannotated_docs(vocab):
    ex = make_example(vocab, ["a", "b", "c"], ["a", "b", "c"], tags=["X", None, "Z"])
    ex.predicted[0].tag_ = "X"
    ex.predicted[2].tag_ = "Y"
    assert Scorer.score_token_attr([ex], "tag_")["tag_acc"] == pytest.approx(0.5)
    bare = make_example(vocab, ["a"], ["a"])
    assert Scorer.score_token_attr([bare], "tag_")["tag_acc"] is None


def test_tokenization_scores(vocab):
    ex = make_example(vocab, ["I", "do", "n't"], ["I", "don't"], spaces=[True, False, False])
    scores = Scorer.score_tokenization([ex])
    assert scores["token_p"] == pytest.approx(0.5)
    assert scores["token_r"] == pytest.approx(1 / 3)
    assert scores["token_acc"] == pytest.approx(1 / 3)


def test_morph_per_feat(vocab):
    ex = make_example(vocab, ["dogs", "ran"], ["dogs", "ran"],
                      morphs=["Number=Plur", "Tense=Past|VerbForm=Fin"])
    ex.predicted[0].morph = "Number=Sing"
    ex.predicted[1].morph = "Tense=Past|VerbForm=Fin"
    acc = Scorer.score_token_attr([ex], "morph", getter=lambda t, a: str(t.morph))
    assert acc["morph_acc"] == pytest.approx(0.5)
    per_feat = Scorer.score_token_attr_per_feat([ex], "morph")["morph_per_feat"]
    assert per_feat["Number"]["f"] == pytest.approx(0.0)
    assert per_feat["Tense"]["f"] == pytest.approx(1.0)


def test_dependency_scores_ignore_punct(vocab):
    words = ["She", "ate", "fish", "."]
    ex = make_example(vocab, words, words, heads=[1, 1, 1, 1], deps=["nsubj", "ROOT", "obj", "punct"])
    pred = ex.predicted
    pred[0].head = pred[1]
    pred[0].dep_ = "nsubj"
    pred[1].head = pred[1]
    pred[1].dep_ = "ROOT"
    pred[2].head = pred[1]
    pred[2].dep_ = "iobj"  # right head, wrong label
    pred[3].head = pred[0]
    pred[3].dep_ = "punct"
    scores = Scorer.score_deps([ex])
    assert scores["dep_uas"] == pytest.approx(1.0)
    assert scores["dep_las"] == pytest.approx(2 / 3)
    assert scores["dep_las_per_type"]["obj"]["r"] == pytest.approx(0.0)


def test_entity_scores_ignore_predictions_over_missing_annotation(vocab):
    words = ["Ann", "met", "Bob", "in", "Paris"]
    ex = make_example(vocab, words, words, ents=["B-PER", "O", "B-PER", None, None])
    ex.predicted.ents = [("PER", 0, 1), ("PER", 2, 3), ("LOC", 4, 5)]
    scores = Scorer.score_spans([ex], "ents")
    assert scores["ents_p"] == pytest.approx(1.0)
    assert scores["ents_r"] == pytest.approx(1.0)
    ex.predicted.ents = [("ORG", 0, 1)]
    scores = Scorer.score_spans([ex], "ents")
    assert scores["ents_f"] == pytest.approx(0.0)
    assert scores["ents_per_type"]["PER"]["r"] == pytest.approx(0.0)


def test_sentence_scores(vocab):
    words = ["Hi", ".", "Bye", "."]
    ex = make_example(vocab, words, words, sent_starts=[True, False, True, False])
    for i, start in enumerate([True, False, False, False]):
        ex.predicted[i].is_sent_start = start
    scores = Scorer.score_sents([ex])
    assert scores["sents_p"] == pytest.approx(0.0)
    assert scores["sents_r"] == pytest.approx(0.0)
    for i, start in enumerate([True, False, True, False]):
        ex.predicted[i].is_sent_start = start
    assert Scorer.score_sents([ex])["sents_f"] == pytest.approx(1.0)


def test_cats_exclusive_macro_f_and_multilabel_auc(vocab):
    examples = []
    for gold, pred in [("POS", 0.9), ("POS", 0.4), ("NEG", 0.2), ("NEG", 0.3)]:
        ex = make_example(vocab, ["x"], ["x"])
        ex.reference.cats = {"POS": float(gold == "POS"), "NEG": float(gold == "NEG")}
        ex.predicted.cats = {"POS": pred, "NEG": 1 - pred}
        examples.append(ex)
    exclusive = Scorer.score_cats(examples, labels=["POS", "NEG"], multi_label=False)
    # POS: tp 1, fn 1 -> F 2/3; NEG: tp 2, fp 1 -> F 0.8
    assert exclusive["cats_score"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert exclusive["cats_score_desc"] == "macro F"
    multi = Scorer.score_cats(examples, labels=["POS", "NEG"], multi_label=True)
    assert multi["cats_score"] == pytest.approx(1.0)  # scores rank the classes perfectly
    binary = Scorer.score_cats(examples, labels=["POS", "NEG"], multi_label=False, positive_label="POS")
    assert binary["cats_score"] == pytest.approx(2 / 3)


def test_roc_auc_matches_pairwise_definition():
    truths = [1, 0, 1, 0, 1, 0]
    scores = [0.8, 0.8, 0.3, 0.1, 0.9, 0.5]
    pairs = [(p, n) for p, t in zip(scores, truths, strict=True) if t for n, u in zip(scores, truths, strict=True) if not u]
    expected = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert roc_auc(truths, scores) == pytest.approx(expected)
    assert roc_auc([1, 1], [0.2, 0.3]) is None


def test_prf_and_weights():
    prf = PRFScore()
    prf.score_set({1, 2, 3}, {2, 3, 4, 5})
    assert (prf.tp, prf.fp, prf.fn) == (2, 1, 2)
    weights = get_score_weights([{"tag_acc": 1.0}, {"dep_uas": 0.5, "dep_las": 0.5, "x": None}])
    assert weights == {"tag_acc": 0.5, "dep_uas": 0.25, "dep_las": 0.25, "x": None}
    assert weighted_score({"tag_acc": 0.8, "dep_uas": 0.4, "x": 1.0}, weights) == pytest.approx(0.5)
