"""Suite-wide settings and shared fixtures.

torch and numpy's BLAS run single-threaded in tests: the models here are tiny, so
intra-op threads cost more in synchronisation than they win, and on a busy 2-core
machine the default thread pools thrash (measured 0.38 s against 0.03 s for one small
update; the parser tests took 152 s against 14 s). The variables must be set before
numpy and torch are first imported.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

torch.set_num_threads(1)

import pytest  # noqa: E402

import treadle  # noqa: E402
from tests import helpers  # noqa: E402
from treadle.tokens import Vocab  # noqa: E402

# The tiny local BERT fixtures (tests/transformers and tests/pipeline/test_transformer.py).
pytest_plugins = ["tests.transformers.tiny_bert"]

# ------------------------------------------------------------------------ basic objects


@pytest.fixture
def nlp():
    """A blank English pipeline, ``treadle.blank("en")``: the English tokenizer, no
    components."""
    return treadle.blank("en")


@pytest.fixture
def vocab() -> Vocab:
    """An empty Vocab."""
    return Vocab()


@pytest.fixture
def sample_examples():
    """Factory for Examples from the sample corpus shipped in examples/data/:
    ``sample_examples(nlp, "ewt-sample-train.conllu", 400)`` gives the first 400 tagged and
    parsed EWT sentences on ``nlp.vocab``, predicted side with the gold tokens;
    ``n_sents=`` groups sentences into Docs, ``tokenize=True`` lets nlp tokenize the text,
    ``"uner-sample-train.iob2"`` gives entities (tests.helpers.load_sample_examples)."""
    return helpers.load_sample_examples


# ------------------------------------------------------------------ model configs


@pytest.fixture
def tok2vec_config():
    """Factory for the small tok2vec block the component tests train:
    ``tok2vec_config(width=32, depth=1, *, embed_size=500, subword_features=False)`` (a
    HashEmbedCNN, window 1, maxout pieces 2). Module-level configs call the same function,
    tests.helpers.make_tok2vec_config."""
    return helpers.make_tok2vec_config


@pytest.fixture
def listener_config():
    """Factory for a Tok2VecListener block: ``listener_config(width=32, upstream="*")``
    (tests.helpers.make_listener_config)."""
    return helpers.make_listener_config


# ------------------------------------------------------------- starter-config stand-ins


def _register_if_missing(category: str, name: str, func) -> None:
    from treadle.config import registry

    reg = registry.get_registry(category)
    if name not in reg:  # `in` imports treadle's built-ins first, so real ones win
        reg.register(name, func=func)


class _Stub:
    def __init__(self, name: str, model: torch.nn.Module) -> None:
        self.name, self.model = name, model

    def __call__(self, doc):
        return doc


@pytest.fixture(scope="module")
def template_standins():
    """Minimal stand-ins for functions other parts of treadle provide, used only where
    the real ones are not (yet) registered: the template is what is tested here. Used by
    the ``treadle init config`` and quickstart template tests."""
    from treadle.language import Language

    def corpus(
        path, max_length: int = 0, gold_preproc: bool = False, limit: int = 0, augmenter=None
    ):
        return lambda nlp: iter(())

    def jsonl_corpus(path, min_length: int = 0, max_length: int = 0, limit: int = 0):
        return lambda nlp: iter(())

    def batcher(size, tolerance: float = 0.2, discard_oversize: bool = False, get_length=None):
        return None

    def logger(progress_bar: bool = False):
        return None

    def tagger_arch(tok2vec: torch.nn.Module, nO: int | None = None):
        return torch.nn.Linear(2, 2)

    def bow(
        exclusive_classes: bool,
        ngram_size: int = 1,
        no_output_layer: bool = False,
        nO: int | None = None,
    ):
        return torch.nn.Linear(2, 2)

    def ensemble(tok2vec: torch.nn.Module, linear_model: torch.nn.Module, nO: int | None = None):
        return torch.nn.Linear(2, 2)

    def pretrain_chars(maxout_pieces: int = 3, hidden_size: int = 300, n_characters: int = 4):
        return None

    for category, name, func in [
        ("readers", "treadle.Corpus.v1", corpus),
        ("readers", "treadle.JsonlCorpus.v1", jsonl_corpus),
        ("batchers", "treadle.batch_by_words.v1", batcher),
        ("loggers", "treadle.ConsoleLogger.v1", logger),
        ("architectures", "treadle.Tagger.v1", tagger_arch),
        ("architectures", "treadle.TextCatBOW.v1", bow),
        ("architectures", "treadle.TextCatEnsemble.v1", ensemble),
        ("architectures", "treadle.PretrainCharacters.v1", pretrain_chars),
    ]:
        _register_if_missing(category, name, func)
    weights = {
        "tagger": {"tag_acc": 1.0},
        "textcat": {"cats_score": 1.0},
        "textcat_multilabel": {"cats_score": 1.0},
        "tok2vec": {},
    }
    for factory, default_weights in weights.items():
        if not Language.has_factory(factory):

            def make(nlp, name, model: torch.nn.Module):
                return _Stub(name, model)

            Language.factory(factory, default_score_weights=default_weights, func=make)


# ------------------------------------------------------------------ trained pipelines


@pytest.fixture(scope="session")
def trained_tagger(tmp_path_factory: pytest.TempPathFactory):
    """The tiny tagger of tests/helpers.py trained once with ``treadle train``: its
    model-best folder and the {"train", "dev"} .docbin paths it was trained on."""
    from tests.helpers import TRAIN_CONFIG, cli, data_args, write_config, write_tagger_corpora

    root = tmp_path_factory.mktemp("evaluate")
    data = write_tagger_corpora(root)
    cfg = write_config(root / "config.cfg", TRAIN_CONFIG)
    assert cli("train", cfg, "--output", root / "out", *data_args(data)) == 0
    return root / "out" / "model-best", data


# ------------------------------------------------------------------------ word vectors


@pytest.fixture
def small_vectors():
    """``(words, matrix)``: 6 words with 4-dim float32 vectors, in "frequency" order.
    "apples" is nearest to "apple" and "Banana" to "banana" (for prune tests)."""
    import numpy as np

    words = ["the", "apple", "banana", "of", "apples", "Banana"]
    matrix = np.array(
        [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [0.1, 0.9, 0.0, 0.1],
            [0.0, 0.2, 0.8, 0.0],
        ],
        dtype=np.float32,
    )
    return words, matrix
