"""Helpers shared by the component tests: a small ner and its training data, the
textcat ensemble config and a short textcat training run."""

from __future__ import annotations

import treadle
from tests.helpers import make_listener_config, make_tok2vec_config
from treadle.language import Language
from treadle.ml import Adam, fix_random_seed
from treadle.training import Example

# --- ner ---------------------------------------------------------------------------


T2V = make_tok2vec_config()
LISTENER = make_listener_config()


def ner_model(tok2vec: dict) -> dict:
    return {"@architectures": "treadle.TransitionBasedParser.v1", "state_type": "ner",
            "hidden_width": 32, "maxout_pieces": 2, "use_upper": True, "tok2vec": tok2vec}


NER_TRAIN = [
    ("Alice lives in Paris .", [(0, 5, "PER"), (15, 20, "LOC")]),
    ("Bob visited New York and Paris .", [(0, 3, "PER"), (12, 20, "LOC"), (25, 30, "LOC")]),
    ("I saw Carol in London yesterday .", [(6, 11, "PER"), (15, 21, "LOC")]),
    ("Nothing happened here .", []),
]


def ner_examples(nlp: Language, data=NER_TRAIN) -> list[Example]:
    return [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in data]


def trained_ner(shared: bool = False, steps: int = 40, seed: int = 0) -> Language:
    fix_random_seed(seed)
    nlp = treadle.blank("en")
    if shared:
        nlp.add_pipe("tok2vec", config={"model": T2V})
        nlp.add_pipe("ner", config={"model": ner_model(LISTENER)})
    else:
        nlp.add_pipe("ner", config={"model": ner_model(T2V)})
    egs = ner_examples(nlp)
    opt = nlp.initialize(lambda: egs)
    for _ in range(steps):
        nlp.update(egs, sgd=opt)
    return nlp


# --- textcat -----------------------------------------------------------------------


def textcat_ensemble(exclusive: bool) -> dict:
    return {"model": {"@architectures": "treadle.TextCatEnsemble.v1", "nO": None, "tok2vec": T2V,
                      "linear_model": {"@architectures": "treadle.TextCatBOW.v1", "exclusive_classes": exclusive,
                                       "ngram_size": 2, "no_output_layer": False, "length": 4096}}}


def make_textcat(factory: str, exclusive: bool) -> treadle.Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe(factory, config=textcat_ensemble(exclusive))
    return nlp


def fit_textcat(nlp: treadle.Language, exs: list[Example], n: int = 30) -> None:
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(n):
        nlp.update(exs, sgd=opt)
