"""``treadle.training.pretrain``: both objectives write model<N>.safetensors and
log.jsonl with a falling loss, resume numbering, the weights file's contents, errors."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.torch import load_file

from treadle.config import Config
from treadle.errors import ConfigError, DataError
from treadle.ml.architectures.pretraining import word_bytes
from treadle.training.pretrain import epoch_from_filename, pretrain

WORDS = [
    "the", "a", "cat", "dog", "sat", "ran", "on", "under", "mat", "tree", "big", "small",
    "red", "quickly", "slowly",
]  # fmt: skip


def write_texts(path, n=50, seed=0):
    rng = random.Random(seed)
    lines = [json.dumps({"text": " ".join(rng.choices(WORDS, k=rng.randint(5, 9)))}) for _ in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


PRETRAIN_CONFIG = """
[paths]
raw_text = null
vectors = null

[system]
seed = 0

[nlp]
lang = "en"
pipeline = ["tok2vec"]

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "treadle.HashEmbedCNN.v1"
width = 16
depth = 1
embed_size = 200
window_size = 1
maxout_pieces = 2
subword_features = false

[pretraining]
max_epochs = 2
dropout = 0.0

[pretraining.batcher]
@batchers = "treadle.batch_by_words.v1"
size = 100

[pretraining.objective]
@architectures = "treadle.PretrainCharacters.v1"
maxout_pieces = 2
hidden_size = 32
n_characters = 2

[pretraining.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.01
use_averages = false

[corpora]

[corpora.pretrain]
@readers = "treadle.JsonlCorpus.v1"
path = ${paths.raw_text}
min_length = 1
"""


def make_config(raw_text, **overrides) -> Config:
    cfg = Config().from_str(PRETRAIN_CONFIG, interpolate=False)
    cfg["paths"]["raw_text"] = str(raw_text)
    for dotted, value in overrides.items():
        node = cfg
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    return cfg


@pytest.fixture
def raw_text(tmp_path):
    return write_texts(tmp_path / "texts.jsonl")


def test_word_bytes_first_and_last():
    assert word_bytes("cats", 2).tolist() == [99, 97, 116, 115]
    assert word_bytes("a", 2).tolist() == [97, 0, 0, 97]
    assert word_bytes("é", 1).tolist() == [0xC3, 0xA9]


def test_characters_objective_writes_weights_and_log(tmp_path, raw_text):
    out = tmp_path / "out"
    result = pretrain(make_config(raw_text, **{"pretraining.max_epochs": 3}), out)
    assert [p.name for p in result.weights] == [f"model{i}.safetensors" for i in range(3)]
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [0, 1, 2]
    assert set(rows[0]) == {"epoch", "step", "words", "loss", "words_per_second"}
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert rows[1]["words"] == 2 * rows[0]["words"] > 0
    assert all(r["words_per_second"] > 0 for r in rows)
    # Only the tok2vec's weights are saved, with metadata describing them.
    tensors = load_file(out / "model1.safetensors")
    assert tensors and not any(k.startswith(("hidden", "output")) for k in tensors)
    with safe_open(out / "model1.safetensors", "pt") as fh:
        meta = json.loads(fh.metadata()["treadle_pretrain"])
    assert meta["component"] == "tok2vec" and meta["epoch"] == 1
    assert meta["objective"] == "treadle.PretrainCharacters.v1"
    assert meta["shapes"] == {k: list(v.shape) for k, v in tensors.items()}
    assert (out / "config.cfg").exists()


def test_vectors_objective_cosine_and_l2(tmp_path, raw_text, monkeypatch):
    from treadle.language import Language

    rng = np.random.default_rng(0)
    table = {w: rng.normal(size=8).astype("float32") for w in WORDS}
    built = Language.from_config

    def with_vectors(config, *args, **kwargs):
        nlp = built(config, *args, **kwargs)
        for word, vector in table.items():
            nlp.vocab.set_vector(word, vector)
        return nlp

    monkeypatch.setattr(Language, "from_config", with_vectors)
    for loss in ("cosine", "L2"):
        objective = {
            "@architectures": "treadle.PretrainVectors.v1",
            "maxout_pieces": 2,
            "hidden_size": 32,
            "loss": loss,
        }
        out = tmp_path / loss
        result = pretrain(make_config(raw_text, **{"pretraining.objective": objective}), out)
        assert [p.name for p in result.weights] == ["model0.safetensors", "model1.safetensors"]
        assert result.log[1]["loss"] < result.log[0]["loss"]


def test_vectors_objective_without_vectors_names_the_key(tmp_path, raw_text):
    objective = {"@architectures": "treadle.PretrainVectors.v1", "maxout_pieces": 2, "hidden_size": 8}
    with pytest.raises(ConfigError, match=r"initialize\.vectors"):
        pretrain(make_config(raw_text, **{"pretraining.objective": objective}), tmp_path / "o")


def test_resume_continues_numbering(tmp_path, raw_text):
    out = tmp_path / "out"
    first = pretrain(make_config(raw_text, **{"pretraining.max_epochs": 1}), out)
    resumed = pretrain(
        make_config(raw_text, **{"pretraining.max_epochs": 3}), out, resume_path=first.weights[-1]
    )
    assert [p.name for p in resumed.weights] == ["model1.safetensors", "model2.safetensors"]
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [0, 1, 2]
    # The resumed run starts from the saved weights: its first epoch beats epoch 0.
    assert rows[1]["loss"] < rows[0]["loss"]
    explicit = pretrain(
        make_config(raw_text, **{"pretraining.max_epochs": 6}),
        out,
        resume_path=first.weights[-1],
        epoch_resume=5,
    )
    assert [p.name for p in explicit.weights] == ["model5.safetensors"]


def test_epoch_from_filename():
    assert epoch_from_filename("out/model12.safetensors") == 13
    assert epoch_from_filename("model3.temp.safetensors") == 4
    with pytest.raises(ConfigError, match="--epoch-resume"):
        epoch_from_filename("weights.safetensors")


def test_n_save_epoch_and_n_save_every(tmp_path, raw_text):
    cfg = make_config(
        raw_text, **{"pretraining.max_epochs": 4, "pretraining.n_save_epoch": 3, "pretraining.n_save_every": 100}
    )
    result = pretrain(cfg, tmp_path / "out")
    assert [p.name for p in result.weights] == ["model0.safetensors", "model3.safetensors"]
    assert (tmp_path / "out" / "model2.temp.safetensors").exists()


def test_errors_name_the_setting(tmp_path, raw_text):
    with pytest.raises(ConfigError, match=r"pretraining\.component = 'tagger'"):
        pretrain(make_config(raw_text, **{"pretraining.component": "tagger"}), tmp_path / "a")
    with pytest.raises(ConfigError, match=r"pretraining\.layer = 'nope'"):
        pretrain(make_config(raw_text, **{"pretraining.layer": "nope"}), tmp_path / "b")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf8")
    with pytest.raises(DataError, match="yielded no words"):
        pretrain(make_config(empty), tmp_path / "c")
    cfg = make_config(raw_text)
    del cfg["pretraining"]
    with pytest.raises(ConfigError, match="--pretraining"):
        pretrain(cfg, tmp_path / "d")


# ------------------------------------------------------------------ on real text

EWT_TRAIN = Path("/work/shared/data/ud_en_ewt/en_ewt-ud-train.conllu")

EWT_PIPELINE = """
[paths]
raw_text = null
init_tok2vec = null
train = null
dev = null

[system]
seed = 0

[nlp]
lang = "en"
pipeline = ["tok2vec", "tagger"]

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "treadle.HashEmbedCNN.v1"
width = 64
depth = 2
embed_size = 2000
window_size = 1
maxout_pieces = 3
subword_features = true

[components.tagger]
factory = "tagger"

[components.tagger.model]
@architectures = "treadle.Tagger.v1"

[components.tagger.model.tok2vec]
@architectures = "treadle.Tok2VecListener.v1"
width = 64
upstream = "tok2vec"

[corpora]

[corpora.train]
@readers = "treadle.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "treadle.Corpus.v1"
path = ${paths.dev}

[corpora.pretrain]
@readers = "treadle.JsonlCorpus.v1"
path = ${paths.raw_text}
min_length = 3
max_length = 60

[training]
max_steps = 30
eval_frequency = 30
dropout = 0.1

[training.batcher]
@batchers = "treadle.batch_by_words.v1"
size = 500

[pretraining]
max_epochs = 3
dropout = 0.1

[pretraining.batcher]
@batchers = "treadle.batch_by_words.v1"
size = 1000

[pretraining.objective]
@architectures = "treadle.PretrainCharacters.v1"
maxout_pieces = 3
hidden_size = 64
n_characters = 3

[pretraining.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.003

[initialize]
init_tok2vec = ${paths.init_tok2vec}
"""


def _ewt_blocks(n: int) -> list[str]:
    blocks, current = [], []
    with EWT_TRAIN.open(encoding="utf8") as fh:
        for line in fh:
            if line.strip():
                current.append(line)
            elif current:
                blocks.append("".join(current))
                current = []
                if len(blocks) >= n:
                    break
    return blocks


@pytest.mark.slow
@pytest.mark.skipif(not EWT_TRAIN.exists(), reason="UD English-EWT is not in /work/shared/data")
def test_pretrain_on_ewt_then_train_a_tagger(tmp_path):
    import torch

    from tests.helpers import save_docbin
    from treadle.tokens import Vocab
    from treadle.training.converters import conllu_to_docs
    from treadle.training.corpus import Corpus
    from treadle.training.initialize import init_nlp
    from treadle.training.loop import train

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        blocks = _ewt_blocks(1700)
        texts = [
            line[len("# text = ") :].strip()
            for block in blocks[:1500]
            for line in block.splitlines()
            if line.startswith("# text = ")
        ]
        raw = tmp_path / "raw.jsonl"
        raw.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf8")
        cfg = Config().from_str(EWT_PIPELINE, interpolate=False)
        cfg["paths"]["raw_text"] = str(raw)
        result = pretrain(cfg, tmp_path / "pretrain")
        losses = [row["loss"] for row in result.log]
        assert losses[-1] < 0.9 * losses[0], losses
        print(f"pretraining: {[round(x, 3) for x in losses]} loss/word, "
              f"{result.log[-1]['words_per_second']:.0f} words/s on one thread")  # fmt: skip

        vocab = Vocab()
        (tmp_path / "train.conllu").write_text("\n".join(blocks[1500:1650]) + "\n", encoding="utf8")
        (tmp_path / "dev.conllu").write_text("\n".join(blocks[1650:]) + "\n", encoding="utf8")
        for name in ("train", "dev"):
            docs = list(conllu_to_docs(tmp_path / f"{name}.conllu", vocab, n_sents=10))
            cfg["paths"][name] = save_docbin(tmp_path / f"{name}.docbin", docs)
        cfg["paths"]["init_tok2vec"] = str(result.weights[-1])
        nlp = init_nlp(cfg)
        saved = load_file(result.weights[-1])
        for key, value in nlp.get_pipe("tok2vec").model.state_dict().items():
            assert torch.equal(value, saved[key]), key
        nlp, _ = train(nlp, None)
        dev = list(Corpus(cfg["paths"]["dev"])(nlp))
        # About 50 tags: chance is far below this after 30 steps of training.
        assert nlp.evaluate(dev)["tag_acc"] > 0.3
    finally:
        torch.set_num_threads(threads)
