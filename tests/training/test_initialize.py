"""Building the pipeline and corpora for training (treadle/training/initialize.py): corpus
errors name the config key; init_tok2vec loads pretrained weights."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from treadle.config import Config
from treadle.errors import ConfigError, DataError, SerializationError
from treadle.training.corpus import Corpus
from treadle.training.initialize import init_nlp, read_corpus


@pytest.mark.parametrize("bad", [None, "missing.docbin", "emptydir"])
def test_bad_paths_name_the_config_key(tmp_path, nlp, bad):
    (tmp_path / "emptydir").mkdir()
    path = None if bad is None else str(tmp_path / bad)
    with pytest.raises(DataError, match=r"corpora\.train\.path"):
        list(read_corpus(Corpus(path), nlp, "corpora.train"))


# --------------------------------------------------------- [initialize] init_tok2vec

PRETRAIN_BLOCKS = """
[paths]
raw_text = null
init_tok2vec = null

[pretraining]
max_epochs = 1
component = "tagger"
layer = "tok2vec"

[pretraining.objective]
@architectures = "treadle.PretrainCharacters.v1"
maxout_pieces = 2
hidden_size = 16
n_characters = 2

[corpora]

[corpora.pretrain]
@readers = "treadle.JsonlCorpus.v1"
path = ${paths.raw_text}
min_length = 1

[initialize]
init_tok2vec = ${paths.init_tok2vec}
"""


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A tagger config whose inline tok2vec was pretrained for one epoch: the config,
    its corpora and the weights file."""
    from tests.helpers import TRAIN_CONFIG, write_tagger_corpora
    from tests.training.test_pretrain import write_texts
    from treadle.training.pretrain import pretrain

    root = tmp_path_factory.mktemp("init_tok2vec")
    data = write_tagger_corpora(root)
    cfg = Config().from_str(TRAIN_CONFIG, interpolate=False).merge(
        Config().from_str(PRETRAIN_BLOCKS, interpolate=False)
    )
    cfg["paths"].update(train=str(data["train"]), dev=str(data["dev"]))
    cfg["paths"]["raw_text"] = str(write_texts(root / "texts.jsonl"))
    result = pretrain(cfg, root / "pretrain")
    return cfg, result.weights[-1]


def _tok2vec_state(nlp):
    return nlp.get_pipe("tagger").model.tok2vec.state_dict()


def test_init_tok2vec_loads_the_pretrained_weights(pretrained):
    cfg, weights = pretrained
    saved = load_file(weights)
    without = init_nlp(cfg)
    assert any(not torch.equal(v, saved[k]) for k, v in _tok2vec_state(without).items())
    cfg = Config(cfg)
    cfg["paths"]["init_tok2vec"] = str(weights)
    nlp = init_nlp(cfg)
    state = _tok2vec_state(nlp)
    assert state.keys() == saved.keys()
    for key, value in state.items():
        assert torch.equal(value, saved[key]), key


def test_init_tok2vec_missing_file_names_path_and_key(pretrained, tmp_path):
    cfg = Config(pretrained[0])
    cfg["paths"]["init_tok2vec"] = str(tmp_path / "nope.safetensors")
    with pytest.raises(ConfigError, match=r"initialize\.init_tok2vec.*nope\.safetensors"):
        init_nlp(cfg)


def test_init_tok2vec_other_architecture_names_the_layer_and_shapes(pretrained):
    cfg, weights = pretrained
    cfg = Config(cfg)
    cfg["components"]["tagger"]["model"]["tok2vec"]["embed"]["rows"] = [300, 100]
    cfg["paths"]["init_tok2vec"] = str(weights)
    saved = load_file(weights)
    with pytest.raises(SerializationError) as info:
        init_nlp(cfg)
    message = str(info.value)
    assert "initialize.init_tok2vec" in message
    key = next(k for k in message.split("'") if k in saved)
    assert tuple(saved[key].shape) == (200, 16)
    assert "(200, 16) in the file but (300, 16) in the network" in message


def test_init_tok2vec_is_loaded_after_the_components_initialize(pretrained, monkeypatch):
    from treadle.pipeline.tagger import Tagger

    cfg, weights = pretrained
    cfg = Config(cfg)
    cfg["paths"]["init_tok2vec"] = str(weights)
    original = Tagger.initialize

    def rerandomize(self, *args, **kwargs):
        original(self, *args, **kwargs)
        with torch.no_grad():
            for p in self.model.tok2vec.parameters():
                p.normal_()

    monkeypatch.setattr(Tagger, "initialize", rerandomize)
    saved = load_file(weights)
    for key, value in _tok2vec_state(init_nlp(cfg)).items():
        assert torch.equal(value, saved[key]), key


def test_a_param_group_naming_no_component_is_an_error(tmp_path):
    from tests.helpers import TRAIN_CONFIG, write_tagger_corpora

    data = write_tagger_corpora(tmp_path)
    cfg = Config().from_str(TRAIN_CONFIG, interpolate=False)
    cfg["paths"] = {"train": str(data["train"]), "dev": str(data["dev"])}
    cfg["training"]["optimizer"]["param_groups"] = {"taggr": {"learn_rate": 0.1}}
    with pytest.raises(ConfigError, match=r"param_groups\.taggr: no component named 'taggr'.*'tagger'"):
        init_nlp(cfg)
    cfg["training"]["optimizer"]["param_groups"] = {"tagger.model": {"learn_rate": 0.1}}
    init_nlp(cfg)  # a deeper prefix of a real component is fine
