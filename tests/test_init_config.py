"""``treadle init config``: the starter config's shape, sizes, filling and errors."""

from __future__ import annotations

import pytest
import torch

from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.config import Config, registry
from treadle.language import Language
from treadle.training.templates import (
    COMPONENT_TEMPLATES,
    ComponentTemplate,
    build_starter_config,
    make_starter_config,
)


def _register_if_missing(category: str, name: str, func) -> None:
    reg = registry.get_registry(category)
    if name not in reg:  # `in` imports treadle's built-ins first, so real ones win
        reg.register(name, func=func)


class _Stub:
    def __init__(self, name: str, model: torch.nn.Module) -> None:
        self.name, self.model = name, model

    def __call__(self, doc):
        return doc


@pytest.fixture(scope="module", autouse=True)
def standins():
    """Minimal stand-ins for functions other parts of treadle provide, used only where
    the real ones are not (yet) registered: the template is what is tested here."""

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


def _init(capsys, *args: str) -> tuple[int, str, str]:
    code = run_app(app, ["init", "config", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _parse(text: str) -> Config:
    return Config().from_str(text, interpolate=False)


def test_single_tagger_efficiency_has_inline_encoder(capsys):
    code, out, err = _init(capsys, "-", "--lang", "en", "--pipeline", "tagger")
    assert code == 0, err
    assert out.startswith("# Starter config made by treadle")
    assert "--pipeline tagger --optimize efficiency" in out.splitlines()[1]
    cfg = _parse(out)
    assert cfg["nlp"]["lang"] == "en"
    assert cfg["nlp"]["pipeline"] == ["tagger"]
    assert cfg["paths"]["train"] is None and cfg["paths"]["dev"] is None
    model = cfg["components"]["tagger"]["model"]
    assert model["@architectures"] == "treadle.Tagger.v1"
    # One user of an encoder: it gets its own, no listener, no tok2vec component.
    assert model["tok2vec"]["@architectures"] == "treadle.Tok2Vec.v1"
    assert model["tok2vec"]["encode"]["width"] == 96
    assert model["tok2vec"]["encode"]["depth"] == 4
    assert "tok2vec" not in cfg["components"]
    assert cfg["training"]["score_weights"] == {"tag_acc": 1.0}


def test_two_encoder_users_share_a_tok2vec_with_listeners():
    cfg, _ = make_starter_config("en", "tagger,textcat", optimize="accuracy")
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "tagger", "textcat"]
    encode = cfg["components"]["tok2vec"]["model"]["encode"]
    assert (encode["width"], encode["depth"]) == (256, 8)
    for name in ("tagger", "textcat"):
        listener = cfg["components"][name]["model"]["tok2vec"]
        assert listener["@architectures"] == "treadle.Tok2VecListener.v1"
        # The listener's width follows the encoder's through a reference.
        assert listener["width"] == "${components.tok2vec.model.encode.width}"
    assert cfg["components"]["textcat"]["model"]["@architectures"] == "treadle.TextCatEnsemble.v1"
    interpolated = cfg.interpolate()
    assert interpolated["components"]["tagger"]["model"]["tok2vec"]["width"] == 256
    weights = {k: v for k, v in cfg["training"]["score_weights"].items() if v is not None}
    assert weights["tag_acc"] == pytest.approx(0.5)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_efficiency_textcat_is_bag_of_words_and_needs_no_encoder():
    cfg, _ = make_starter_config("en", ["tagger", "textcat_multilabel"], optimize="efficiency")
    assert cfg["nlp"]["pipeline"] == ["tagger", "textcat_multilabel"]
    model = cfg["components"]["textcat_multilabel"]["model"]
    assert model["@architectures"] == "treadle.TextCatBOW.v1"
    assert model["exclusive_classes"] is False
    exclusive = make_starter_config("en", "textcat")[0]["components"]["textcat"]["model"]
    assert exclusive["exclusive_classes"] is True


def test_explicit_tok2vec_is_shared_and_first():
    cfg = build_starter_config("xx", "tagger,tok2vec")
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "tagger"]
    assert cfg["components"]["tagger"]["model"]["tok2vec"]["upstream"] == "tok2vec"


def test_gpu_uses_bigger_batches():
    cpu = make_starter_config("en", "tagger")[0]["training"]["batcher"]["size"]
    gpu = make_starter_config("en", "tagger", gpu=True)[0]["training"]["batcher"]["size"]
    assert gpu["start"] > cpu["start"] and gpu["stop"] > cpu["stop"]


def test_output_has_no_hidden_defaults():
    cfg, _ = make_starter_config("en", "tagger,textcat", optimize="accuracy")
    assert registry.fill(cfg) == cfg
    # Every factory setting is written: the pipeline's own view adds nothing.
    nlp = Language.from_config(cfg.interpolate())
    for name, block in nlp.config["components"].items():
        assert set(block) <= set(cfg["components"][name]), name


def test_pretraining_block(capsys):
    code, out, err = _init(capsys, "-", "--pipeline", "tagger", "--pretraining")
    assert code == 0, err
    cfg = _parse(out)
    assert cfg["pretraining"]["component"] == "tok2vec"
    assert "pretrain" in cfg["corpora"]
    code, out, _ = _init(capsys, "-", "--pipeline", "tagger")
    assert "pretraining" not in _parse(out)


def test_writes_file_and_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "config.cfg"
    code, _, err = _init(capsys, str(path), "--pipeline", "textcat")
    assert code == 0, err
    assert _parse(path.read_text())["nlp"]["pipeline"] == ["textcat"]
    code, _, err = _init(capsys, str(path), "--pipeline", "tagger")
    assert code == 1 and "--force" in err
    assert _parse(path.read_text())["nlp"]["pipeline"] == ["textcat"]
    code, _, err = _init(capsys, str(path), "--pipeline", "tagger", "--force")
    assert code == 0, err
    assert _parse(path.read_text())["nlp"]["pipeline"] == ["tagger"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--pipeline", "tagger,frobnicator"], "'frobnicator'"),
        (["--pipeline", ""], "at least one component"),
        (["--pipeline", "tagger,tagger"], "named twice"),
        (["--pipeline", "tagger", "--optimize", "speed"], "efficiency, accuracy"),
    ],
)
def test_bad_choices_fail_clearly(capsys, args, message):
    code, out, err = _init(capsys, "-", *args)
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    if "frobnicator" in message:
        assert "Known components: tok2vec, tagger, textcat, textcat_multilabel" in err


def test_a_new_component_is_one_dict_entry(monkeypatch):
    def build(ctx):
        block = {"factory": "tagger", "model": {"@architectures": "treadle.Tagger.v1"}}
        block["model"]["tok2vec"] = ctx.tok2vec_model()
        return block

    monkeypatch.setitem(COMPONENT_TEMPLATES, "tagger2", ComponentTemplate(build=build))
    cfg, header = make_starter_config("en", "tagger,tagger2")
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "tagger", "tagger2"]
    assert cfg["components"]["tagger2"]["model"]["tok2vec"]["upstream"] == "tok2vec"
    assert "tagger,tagger2" in header
