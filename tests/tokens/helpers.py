"""Docs shared by the treadle.tokens tests."""

from __future__ import annotations

from treadle.tokens import Doc, Span

# A non-projective tree: "A hearing is scheduled on the issue today ." with "issue"
# attached to "hearing": the arc issue <- hearing crosses "is scheduled".
HEADS = [1, 3, 3, 3, 6, 6, 1, 3, 3]
LABELS = ["det", "nsubj:pass", "aux:pass", "root", "case", "det", "nmod", "obl:tmod", "punct"]


def make(vocab, words, spaces=None):
    """A Doc of the words, without annotation."""
    return Doc(vocab, words=words, spaces=spaces)


def make_parsed(vocab):
    """Two parsed sentences."""
    # "She ate the pizza . He slept ." : two sentences, heads absolute.
    words = ["She", "ate", "the", "pizza", ".", "He", "slept", "."]
    heads = [1, 1, 3, 1, 1, 6, 6, 6]
    deps = ["nsubj", "ROOT", "det", "obj", "punct", "nsubj", "ROOT", "punct"]
    return Doc(vocab, words, heads=heads, deps=deps)


def make_doc(vocab):
    """A Doc with every annotation a DocBin stores (tags, POS, morphs, lemmas, parse,
    entities, cats, a span group with attrs)."""
    doc = Doc(
        vocab, ["Ann", "lives", "in", "São", "Paulo", "."],
        spaces=[True, True, True, True, False, False],
        tags=["NNP", "VBZ", "IN", "NNP", "NNP", "."],
        pos=["PROPN", "VERB", "ADP", "PROPN", "PROPN", "PUNCT"],
        morphs=["Number=Sing", "Mood=Ind|Tense=Pres", None, "_", "Number=Sing", ""],
        lemmas=["Ann", "live", "in", "São", "Paulo", "."],
        heads=[1, 1, 4, 4, 1, 1], deps=["nsubj", "ROOT", "case", "compound", "obl", "punct"],
        ents=["B-PER", "O", "O", "B-LOC", "I-LOC", "O"],
    )
    doc.cats = {"TRAVEL": 1.0, "SPORT": 0.0}
    doc.spans["sc"] = [Span(doc, 3, 5, label="CITY", kb_id="Q174")]
    doc.spans["sc"].attrs["source"] = "test"
    return doc
