"""tok2vec: listener discovery, doc.tensor, named upstreams, saving and loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import treadle
from tests.helpers import make_listener_config, make_tok2vec_config
from treadle.ml import fix_random_seed

T2V = make_tok2vec_config(16, embed_size=300)


def listener(upstream: str) -> dict:
    return {"model": {"@architectures": "treadle.Tagger.v1", "nO": None,
                      "tok2vec": make_listener_config(16, upstream)}}


def test_listeners_found_by_wildcard_and_name() -> None:
    nlp = treadle.blank("en")
    nlp.add_pipe("tok2vec", name="t2v_a", config={"model": T2V})
    nlp.add_pipe("tagger", name="tag_a", config=listener("*"))
    nlp.add_pipe("tok2vec", name="t2v_b", config={"model": T2V})
    nlp.add_pipe("tagger", name="tag_b", config=listener("*"))
    nlp.add_pipe("tagger", name="tag_c", config=listener("t2v_a"))
    assert nlp.get_pipe("t2v_a").listening_components == ["tag_a", "tag_c"]
    assert nlp.get_pipe("t2v_b").listening_components == ["tag_b"]
    nlp.remove_pipe("tag_c")
    assert nlp.get_pipe("t2v_a").listening_components == ["tag_a"]  # re-discovered


def test_doc_tensor_set_and_round_trip(tmp_path: Path) -> None:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tok2vec", config={"model": T2V})
    nlp.initialize()
    doc = nlp("Hello there world")
    assert doc.tensor.shape == (3, 16)
    empty = nlp("")
    assert empty.tensor.shape == (0, 16)
    nlp.to_disk(tmp_path / "m")
    loaded = treadle.load(tmp_path / "m")
    assert np.array_equal(loaded("Hello there world").tensor, doc.tensor)
    assert nlp.get_pipe("tok2vec").score([]) == {}
