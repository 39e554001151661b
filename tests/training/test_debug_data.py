"""debug_data (treadle/training/debug_data.py): planted problems in small .docbin files
are flagged."""

from __future__ import annotations

import pytest

from tests.helpers import DEBUG_DATA_CONFIG, TAGGER_BLOCK, annotated_doc, save_docbin, tagged_docs
from treadle.config import Config
from treadle.language import Language
from treadle.tokens import Doc as TDoc
from treadle.training.debug_data import ERROR, WARNING, collect_stats, debug_data

TEXTCAT_BLOCK = '[components.textcat]\nfactory = "textcat"\n'
MULTI_BLOCK = '[components.multi]\nfactory = "textcat_multilabel"\n'


class _Stub:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc):
        return doc


@pytest.fixture(scope="module", autouse=True)
def textcat_standins():
    """Stand-ins for the text classifiers where the real ones are not registered yet:
    debug data only needs the factory names."""
    for factory in ("textcat", "textcat_multilabel"):
        if not Language.has_factory(factory):

            def make(nlp, name):
                return _Stub(name)

            Language.factory(factory, func=make)


def _config(pipeline: list[str], components: str, train: str, dev: str) -> Config:
    text = DEBUG_DATA_CONFIG.format(pipeline=str(pipeline).replace("'", '"'), components=components)
    return Config().from_str(
        text, interpolate=False, overrides={"paths.train": train, "paths.dev": dev}
    )


def test_clean_tagger_data_has_no_errors(tmp_path, vocab):
    train = save_docbin(tmp_path / "train.docbin", tagged_docs(vocab, 25))
    dev = save_docbin(tmp_path / "dev.docbin", tagged_docs(vocab, 5, start=100))
    report = debug_data(_config(["tagger"], TAGGER_BLOCK, train, dev))
    assert report.errors == [] and report.warnings == []
    assert report.train.n_docs == 25 and report.train.n_words == 100
    assert report.dev.n_docs == 5
    assert report.train.labels["tag"] == {"DT": 25, "NN": 25, "VBZ": 25, "CD": 25}
    assert len(report.train.words) == 3 + 25
    assert report.trained == ["tagger"]
    assert report.has("labels.unseen_in_train", "ok")


def test_tagger_problems_are_flagged(tmp_path, vocab):
    train_docs = tagged_docs(vocab, 25)
    train_docs.append(annotated_doc(vocab, ["rare", "words"], tags=["FW", "FW"]))  # low count
    train_docs.append(annotated_doc(vocab, ["no", "tags", "here"]))  # no annotation
    train_docs.append(annotated_doc(vocab, []))  # empty
    dev_docs = tagged_docs(vocab, 3, start=100)
    dev_docs.append(annotated_doc(vocab, ["brand", "new"], tags=["JJ", "NEWTAG"]))  # unseen
    dev_docs.append(train_docs[0].copy())  # shared text
    train = save_docbin(tmp_path / "train.docbin", train_docs)
    dev = save_docbin(tmp_path / "dev.docbin", dev_docs)
    report = debug_data(_config(["tagger"], TAGGER_BLOCK, train, dev))

    # A tag missing from train costs a few dev tokens; training can go on: a warning.
    unseen = [f for f in report.findings if f.check == "labels.unseen_in_train"]
    assert unseen and unseen[0].level == WARNING
    assert "'JJ'" in unseen[0].message and "'NEWTAG'" in unseen[0].message
    assert "(2 of 18 development labels)" in unseen[0].message
    assert not report.errors
    low = [f.message for f in report.findings if f.check == "labels.low_count"]
    assert any("'FW'" in m and "2 training" in m for m in low)
    assert not any("'DT'" in m for m in low)
    missing = [f for f in report.findings if f.check == "annotation.missing"]
    assert missing and missing[0].level == WARNING and missing[0].message.startswith("1 of 27")
    empty = [f for f in report.findings if f.check == "docs.empty"]
    assert empty and "1 empty document(s) in the training data" in empty[0].message
    overlap = [f for f in report.findings if f.check == "texts.overlap"]
    assert overlap[0].level == WARNING and overlap[0].message.startswith("1 text(s)")


def test_component_without_any_annotation_is_an_error(tmp_path, vocab):
    docs = [annotated_doc(vocab, ["plain", "text", str(i)]) for i in range(5)]
    train = save_docbin(tmp_path / "train.docbin", docs)
    dev = save_docbin(tmp_path / "dev.docbin", docs[:2])
    report = debug_data(_config(["tagger"], TAGGER_BLOCK, train, dev))
    assert report.has("annotation.none", ERROR)


def test_misaligned_entities_are_flagged(tmp_path, vocab):
    # Gold tokens split "NYC2024"; the tokenizer keeps it whole, so the NYC entity's
    # end falls inside a predicted token.
    bad = annotated_doc(
        vocab,
        ["visit", "NYC", "2024", "now"],
        spaces=[True, False, True, False],
        ents=["O", "B-GPE", "O", "O"],
    )
    good = annotated_doc(vocab, ["visit", "Paris", "now"], ents=["O", "B-GPE", "O"])
    train = save_docbin(tmp_path / "train.docbin", [bad, good])
    dev = save_docbin(tmp_path / "dev.docbin", [good.copy()])
    report = debug_data(_config([], "", train, dev))
    flagged = [f for f in report.findings if f.check == "ents.misaligned" and f.level == WARNING]
    assert len(flagged) == 1
    assert "1 of 2 entity span(s) in the training data" in flagged[0].message
    assert "'NYC'" in flagged[0].details[0] and "NYC2024" in flagged[0].details[0]
    assert report.train.labels["ent"] == {"GPE": 2}
    assert report.has("ents.misaligned", "ok")  # the dev split is clean


def test_textcat_problems(tmp_path, vocab):
    def cat_docs(labels, start=0):
        return [
            annotated_doc(
                vocab,
                ["text", str(start + i)],
                cats={"POS": 1.0 * (lab == "POS"), "NEG": 1.0 * (lab == "NEG")},
            )
            for i, lab in enumerate(labels)
        ]

    train_docs = cat_docs(["POS"] * 20 + ["NEG"] * 20)
    train_docs.append(annotated_doc(vocab, ["both"], cats={"POS": 1.0, "NEG": 1.0}))
    dev_docs = cat_docs(["POS", "NEG"], start=100)
    dev_docs.append(annotated_doc(vocab, ["other"], cats={"POS": 0.0, "NEG": 0.0, "MIXED": 1.0}))
    train = save_docbin(tmp_path / "train.docbin", train_docs)
    dev = save_docbin(tmp_path / "dev.docbin", dev_docs)
    report = debug_data(_config(["textcat"], TEXTCAT_BLOCK, train, dev))
    unseen = [f for f in report.findings if f.check == "labels.unseen_in_train"]
    assert unseen[0].level == ERROR and "'MIXED'" in unseen[0].message
    assert report.has("cats.not_exclusive", ERROR)
    assert report.train.labels["cat"] == {"POS": 21, "NEG": 21}
    # Multilabel data may have several positives: no exclusivity error there.
    report = debug_data(_config(["multi"], MULTI_BLOCK, train, dev))
    assert not report.has("cats.not_exclusive")
    assert report.has("labels.unseen_in_train", ERROR)


def test_frozen_components_are_not_checked(tmp_path, vocab):
    docs = [annotated_doc(vocab, ["plain", str(i)]) for i in range(3)]
    train = save_docbin(tmp_path / "train.docbin", docs)
    dev = save_docbin(tmp_path / "dev.docbin", docs[:1])
    config = _config(["tagger"], TAGGER_BLOCK, train, dev)
    config["training"] = {"frozen_components": ["tagger"]}
    report = debug_data(config)
    assert report.trained == []
    assert not report.has("annotation.none")


def test_collect_stats_counts_sentences(vocab):
    from treadle.training import Example

    doc = TDoc(vocab, words=["A", ".", "B", "."], sent_starts=[1, 0, 1, 0])
    stats = collect_stats([Example(doc.copy(), doc)])
    assert stats.n_sents == 2 and stats.n_docs_with_sents == 1


def test_unseen_morph_values_are_a_warning(tmp_path, vocab):
    def morph_docs(feats, start=0):
        return [
            TDoc(vocab, words=["it", str(start + i)], pos=["PRON", "NUM"], morphs=[f, "NumType=Card"])
            for i, f in enumerate(feats)
        ]

    train = save_docbin(tmp_path / "train.docbin", morph_docs(["Case=Nom"] * 20))
    dev = save_docbin(tmp_path / "dev.docbin", morph_docs(["Case=Nom", "Case=Acc|Number=Sing"], 50))
    block = '[components.morphologizer]\nfactory = "morphologizer"\n'
    report = debug_data(_config(["morphologizer"], block, train, dev))
    unseen = [f for f in report.findings if f.check == "labels.unseen_in_train"]
    assert any(f.level == WARNING and "Case=Acc|Number=Sing" in f.message for f in unseen)
    assert report.errors == []
    assert report.train.labels["pos"] == {"PRON": 20, "NUM": 20}  # names, not ids


def test_lemmatizer_section(tmp_path, vocab):
    def lemma_docs(pairs, start=0):
        return [
            TDoc(vocab, words=[form, str(start + i)], lemmas=[lemma, str(start + i)])
            for i, (form, lemma) in enumerate(pairs)
        ]

    train_pairs = [("dogs", "dog")] * 5 + [("cats", "cat")] * 5 + [("went", "go")]
    dev_pairs = [("rats", "rat"), ("went", "go"), ("mice", "mouse")]
    train = save_docbin(tmp_path / "train.docbin", lemma_docs(train_pairs))
    dev = save_docbin(tmp_path / "dev.docbin", lemma_docs(dev_pairs, 100))
    block = '[components.lemmatizer]\nfactory = "trainable_lemmatizer"\nmin_tree_freq = 3\n'
    report = debug_data(_config(["lemmatizer"], block, train, dev))
    sections = report.sections()
    lemma_section = next(v for k, v in sections.items() if k.startswith("Lemmas"))
    by_check = {f.check: f for f in lemma_section}
    trees = by_check["lemmas.edit_trees"]
    # Trees: strip "s" (10 tokens), went -> go (1), and the number tokens' identity
    # tree (11); kept with min_tree_freq=3: two of them.
    assert trees.message.startswith("3 edit tree(s) in the training data, 2 seen at least")
    assert "95.5% of the 22 training lemmas" in trees.message
    coverage = by_check["lemmas.coverage"]
    # Dev: rats and the 3 numbers are covered; went (a rare tree) and mice are not.
    assert coverage.level == WARNING and "66.7% of the 6 development lemmas" in coverage.message
    assert coverage.details[0] in ("'went' -> 'go': 1", "'mice' -> 'mouse': 1")
    unseen = by_check["lemmas.unseen_in_train"]
    assert unseen.message.startswith("5 development lemma(s)")  # rat, mouse, 100, 101, 102
