"""The starter config templates (treadle/training/templates/quickstart.py): shared encoders
and listeners, sizes, what each component's block holds."""

from __future__ import annotations

import pytest

from tests.helpers import ENTITY_PATTERNS
from treadle.config import registry
from treadle.language import Language
from treadle.training.templates import (
    COMPONENT_TEMPLATES,
    ComponentTemplate,
    build_starter_config,
    make_starter_config,
)

pytestmark = pytest.mark.usefixtures("template_standins")


def test_two_encoder_users_share_a_tok2vec_with_listeners():
    cfg, _ = make_starter_config("en", "tagger,textcat", optimize="accuracy")
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "tagger", "textcat"]
    encode = cfg["components"]["tok2vec"]["model"]["encode"]
    assert encode["@architectures"] == "treadle.MaxoutWindowEncoder.v1"
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


def test_init_config_ner_block() -> None:
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", "ner", optimize="efficiency")
    block = config["components"]["ner"]
    assert block["factory"] == "ner"
    assert block["model"]["@architectures"] == "treadle.TransitionBasedParser.v1"
    assert block["model"]["state_type"] == "ner" and block["model"]["hidden_width"] == 64
    shared, _ = make_starter_config("en", "tagger,ner", optimize="accuracy")
    assert shared["nlp"]["pipeline"] == ["tok2vec", "tagger", "ner"]
    assert shared["components"]["ner"]["model"]["tok2vec"]["@architectures"] == "treadle.Tok2VecListener.v1"
    # a ner alone trains with more dropout (it overfits UNER at 0.1); mixed pipelines keep 0.1
    assert config["training"]["dropout"] == 0.25
    assert shared["training"]["dropout"] == 0.1
    assert make_starter_config("en", "ner,entity_ruler")[0]["training"]["dropout"] == 0.25


def test_init_config_includes_lemmatizer_on_shared_tok2vec() -> None:
    from treadle.training.templates.quickstart import build_starter_config

    cfg = build_starter_config("en", "tagger,trainable_lemmatizer")
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "tagger", "trainable_lemmatizer"]
    block = cfg["components"]["trainable_lemmatizer"]
    assert block["factory"] == "trainable_lemmatizer"
    assert block["model"]["@architectures"] == "treadle.Tagger.v1"
    assert block["model"]["tok2vec"]["@architectures"] == "treadle.Tok2VecListener.v1"


def test_init_config_template_has_the_rulers_without_a_tok2vec():
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", "entity_ruler,attribute_ruler,span_ruler")
    assert config["nlp"]["pipeline"] == ["entity_ruler", "attribute_ruler", "span_ruler"]
    assert "tok2vec" not in config["components"]
    assert config["components"]["entity_ruler"]["overwrite_ents"] is False
    assert config["training"]["score_weights"]["ents_f"] > 0
    nlp = Language.from_config(config)
    nlp.initialize()
    nlp.get_pipe("entity_ruler").add_patterns(ENTITY_PATTERNS)
    assert [e.label_ for e in nlp("Google").ents] == ["ORG"]
    # One encoder for the tagger alone: the rulers do not count as tok2vec users.
    config, _ = make_starter_config("en", "tagger,entity_ruler")
    assert "tok2vec" not in config["nlp"]["pipeline"]


TRAINABLE = ["tagger", "morphologizer", "trainable_lemmatizer", "parser", "ner", "textcat",
             "textcat_multilabel", "senter"]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_accuracy_starter_builds_for_component_combinations(n):
    """Every combination of n trainable components (a sample of them for n = 3) gives an
    accuracy config whose encoders are the wide CNN over the character embedding, and
    which builds into a pipeline."""
    import itertools

    combos = list(itertools.combinations(TRAINABLE, n))
    for names in combos if n < 3 else combos[::7]:
        cfg, _ = make_starter_config("en", list(names), optimize="accuracy")
        blocks = [
            b["model"] if b["factory"] == "tok2vec" else b["model"].get("tok2vec")
            for b in cfg["components"].values()
        ]
        encoders = [b for b in blocks if b and "embed" in b]
        assert encoders, names
        for block in encoders:
            assert block["embed"]["@architectures"] == "treadle.CharacterEmbed.v2"
            assert block["encode"]["@architectures"] == "treadle.MaxoutWindowEncoder.v1"
            assert block["encode"]["depth"] == 8
        nlp = Language.from_config(cfg)
        assert nlp.pipe_names[-len(names):] == list(names)
