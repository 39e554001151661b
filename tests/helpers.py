"""Helpers shared by test modules in different packages (fixtures are in conftest.py)."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import torch
from safetensors.torch import load_file

from treadle.cli._app import app
from treadle.cli._errors import run_app
from treadle.tokens import Doc, DocBin
from treadle.training import Example
from treadle.training.converters import conllu_to_docs, iob_to_docs

REPO = Path(__file__).resolve().parents[1]
# A guard against hangs, not a speed test (speed is measured in benchmarks/): the code
# under test takes well under a second; what it replaced took minutes or forever on
# the same inputs (quadratic parsing, exponential interpolation).
HANG_S = 60.0
SAMPLE_DATA = REPO / "examples" / "data"  # the EWT/UNER sample corpus shipped with treadle

# Entity-ruler patterns for the sample texts (training with rulers, the rulers' template).
ENTITY_PATTERNS = [
    {"label": "GPE", "pattern": "Iraq", "id": "iraq"},
    {"label": "GPE", "pattern": [{"LOWER": "united"}, {"LOWER": "states"}]},
    {"label": "ORG", "pattern": [{"LOWER": "google"}]},
]


def make_tok2vec_config(
    width: int = 32, depth: int = 1, *, embed_size: int = 500, subword_features: bool = False
) -> dict:
    """The small HashEmbedCNN block the component tests train (window 1, maxout pieces 2):
    by default 32 wide, one layer, 500 rows, no subword features. The ``tok2vec_config``
    fixture is this function."""
    return {
        "@architectures": "treadle.HashEmbedCNN.v1", "width": width, "depth": depth,
        "embed_size": embed_size, "window_size": 1, "maxout_pieces": 2,
        "subword_features": subword_features,
    }  # fmt: skip


def make_listener_config(width: int = 32, upstream: str = "*") -> dict:
    """A Tok2VecListener block, for a component that listens to a shared tok2vec. The
    ``listener_config`` fixture is this function."""
    return {"@architectures": "treadle.Tok2VecListener.v1", "width": width, "upstream": upstream}


def load_sample_examples(
    nlp, name: str, n: int | None = None, *, n_sents: int = 1, tokenize: bool = False
) -> list[Example]:
    """Examples from one file of the sample corpus in examples/data/ (``.conllu``: tags,
    POS, morphology, lemmas and parses; ``.iob2``: entities), on ``nlp.vocab``: the first
    ``n`` Docs (all without ``n``), ``n_sents`` sentences to a Doc. The predicted side
    has the gold words and spaces, or with ``tokenize=True`` nlp's own tokenization of
    the text. The ``sample_examples`` fixture is this function."""
    path = SAMPLE_DATA / name
    read = conllu_to_docs if path.suffix == ".conllu" else iob_to_docs
    docs = list(read(path, nlp.vocab, n_sents=n_sents))[:n]
    if tokenize:
        return [Example(nlp.make_doc(d.text), d) for d in docs]
    return [
        Example(Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]), d)
        for d in docs
    ]


def cli(*args: object) -> int:
    """Run a ``treadle`` command in-process; its exit status."""
    return run_app(app, [str(a) for a in args])


# --- a tiny tagger trained with ``treadle train`` -------------------------------------
# Synthetic DT/NN/VB/JJ sentences and a 16-wide tagger config that trains in a second:
# the training loop, ``treadle train`` and ``treadle evaluate`` tests use them.


WORDS = {
    "DT": ["the", "a", "this", "every"],
    "NN": ["cat", "dog", "house", "tree", "car", "bird"],
    "VB": ["sees", "likes", "finds", "eats"],
    "JJ": ["big", "red", "small", "old"],
}


def _sentence(rng: random.Random) -> tuple[list[str], list[str]]:
    pattern = rng.choice([["DT", "NN", "VB", "DT", "NN"], ["DT", "JJ", "NN", "VB", "DT", "NN"]])
    return [rng.choice(WORDS[t]) for t in pattern], pattern


def write_corpus(path: Path, n: int, seed: int) -> Path:
    import treadle

    nlp = treadle.blank("en")
    rng = random.Random(seed)
    db = DocBin()
    for _ in range(n):
        words, tags = _sentence(rng)
        db.add(Doc(nlp.vocab, words=words, tags=tags))
    db.to_disk(path)
    return path


TRAIN_CONFIG = """
[paths]
train = null
dev = null

[system]
seed = 0

[nlp]
lang = "en"
pipeline = ["tagger"]

[components]

[components.tagger]
factory = "tagger"

[components.tagger.model]
@architectures = "treadle.Tagger.v1"
nO = null

[components.tagger.model.tok2vec]
@architectures = "treadle.Tok2Vec.v1"

[components.tagger.model.tok2vec.embed]
@architectures = "treadle.MultiHashEmbed.v1"
width = 16
attrs = ["NORM", "SUFFIX"]
rows = [200, 100]
include_static_vectors = false

[components.tagger.model.tok2vec.encode]
@architectures = "treadle.MaxoutWindowEncoder.v1"
width = 16
depth = 1
window_size = 1
maxout_pieces = 2

[corpora]

[corpora.train]
@readers = "treadle.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "treadle.Corpus.v1"
path = ${paths.dev}

[training]
seed = ${system.seed}
dropout = 0.1
max_steps = 12
eval_frequency = 4
patience = 0
accumulate_gradient = 1
max_epochs = 0
frozen_components = []
dev_corpus = "corpora.dev"

[training.batcher]
@batchers = "treadle.batch_by_words.v1"
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = 20
stop = 60
compound = 1.1

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.01
use_averages = false

[training.logger]
@loggers = "treadle.ConsoleLogger.v1"
"""


def write_config(path: Path, text: str = TRAIN_CONFIG) -> Path:
    path.write_text(text, encoding="utf8")
    return path


def data_args(data: dict[str, Path]) -> list[str]:
    return ["--paths.train", str(data["train"]), "--paths.dev", str(data["dev"])]


def tagger_weights(model_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(model_dir / "tagger" / "model.safetensors"))


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = tagger_weights(a), tagger_weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.allclose(wa[key], wb[key], atol=1e-6, rtol=0), key


def write_tagger_corpora(root: Path) -> dict[str, Path]:
    """train.docbin (60 sentences) and dev.docbin (20) under ``root``."""
    return {
        "train": write_corpus(root / "train.docbin", 60, seed=1),
        "dev": write_corpus(root / "dev.docbin", 20, seed=2),
    }


# --- small .docbin files and configs for ``debug data`` ----------------------------


DEBUG_DATA_CONFIG = textwrap.dedent(
    """
    [paths]
    train = null
    dev = null

    [nlp]
    lang = "en"
    pipeline = {pipeline}

    [components]
    {components}

    [corpora]

    [corpora.train]
    @readers = "treadle.Corpus.v1"
    path = ${{paths.train}}

    [corpora.dev]
    @readers = "treadle.Corpus.v1"
    path = ${{paths.dev}}
    """
)

TAGGER_BLOCK = '[components.tagger]\nfactory = "tagger"\n'


def annotated_doc(vocab, text_words, *, tags=None, ents=None, cats=None, spaces=None):
    doc = Doc(vocab, words=text_words, spaces=spaces, tags=tags, ents=ents)
    if cats:
        doc.cats = dict(cats)
    return doc


def save_docbin(path, docs):
    db = DocBin(store_user_data=True)
    for doc in docs:
        db.add(doc)
    db.to_disk(path)
    return str(path)


def tagged_docs(vocab, n, words=("a", "dog", "runs"), tags=("DT", "NN", "VBZ"), start=0):
    return [annotated_doc(vocab, [*words, str(i)], tags=[*tags, "CD"]) for i in range(start, start + n)]
