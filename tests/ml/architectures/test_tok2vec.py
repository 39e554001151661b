"""Token-to-vector architectures (treadle/ml/architectures/tok2vec.py) on real Docs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from tests.ml.helpers import hash_embed_cnn, make_docs, predict_docs, train_on_docs
from treadle.config import registry
from treadle.ml import Adam, fix_random_seed
from treadle.ml.layers import StaticVectors
from treadle.ml.modules import get_module_ref, load_state
from treadle.tokens import Doc


def test_hash_embed_cnn_shapes(vocab):
    fix_random_seed(0)
    module = hash_embed_cnn()
    docs = make_docs(vocab, ["the cat sat", "a", "dogs bark loudly at night"])
    docs.append(Doc(vocab, words=[]))
    out = predict_docs(module, docs)
    assert [tuple(t.shape) for t in out] == [(3, 16), (1, 16), (5, 16), (0, 16)]
    train_on_docs(module, docs, None)
    assert all(p.grad is not None for p in module.parameters())
    Adam(0.01).step(module)
    assert get_module_ref(module, "tok2vec") is module


def test_no_cross_doc_leakage(vocab):
    fix_random_seed(0)
    module = hash_embed_cnn(depth=3, window_size=2)
    module.eval()
    doc_a = Doc(vocab, words=["the", "quick", "brown", "fox"])
    out1 = module([doc_a, Doc(vocab, words=["jumps", "over"])])[0]
    out2 = module([doc_a, Doc(vocab, words=["something", "else", "entirely", "here"])])[0]
    alone = module([doc_a])[0]
    torch.testing.assert_close(out1, out2)
    torch.testing.assert_close(out1, alone)


def test_identical_words_same_vectors_without_context(vocab):
    module = hash_embed_cnn(depth=1)
    module.eval()
    a, b = module(make_docs(vocab, ["word", "word"]))
    torch.testing.assert_close(a, b)


def test_save_load_round_trip(vocab, tmp_path):
    fix_random_seed(0)
    m1 = hash_embed_cnn()
    docs = make_docs(vocab, ["one two three", "four five"])
    train_on_docs(m1, docs, Adam(0.1))
    save_file({k: v.contiguous() for k, v in m1.state_dict().items()}, tmp_path / "t2v.safetensors")
    fix_random_seed(1)
    m2 = hash_embed_cnn()
    load_state(m2, load_file(tmp_path / "t2v.safetensors"), where="t2v")
    for a, b in zip(predict_docs(m1, docs), predict_docs(m2, docs), strict=True):
        assert torch.equal(a, b)


def test_mish_encoder_and_multihash_config(vocab):
    embed = registry.architectures.get("treadle.MultiHashEmbed.v1")(
        width=8, attrs=["NORM", "SHAPE"], rows=[50, 20], include_static_vectors=False
    )
    encode = registry.architectures.get("treadle.MishWindowEncoder.v1")(width=8, window_size=1, depth=2)
    module = registry.architectures.get("treadle.Tok2Vec.v1")(embed=embed, encode=encode)
    out = predict_docs(module, make_docs(vocab, ["a b c", "d"]))
    assert [tuple(t.shape) for t in out] == [(3, 8), (1, 8)]


def test_character_embed(vocab):
    fix_random_seed(0)
    embed = registry.architectures.get("treadle.CharacterEmbed.v1")(
        width=8, rows=50, nM=4, nC=4, also_embed_subwords=True, also_use_static_vectors=False
    )
    encode = registry.architectures.get("treadle.MaxoutWindowEncoder.v1")(
        width=8, window_size=1, maxout_pieces=2, depth=1
    )
    module = registry.architectures.get("treadle.Tok2Vec.v1")(embed=embed, encode=encode)
    docs = make_docs(vocab, ["héllo wörld x", "hello"])
    out = predict_docs(module, docs)
    assert [tuple(t.shape) for t in out] == [(3, 8), (1, 8)]
    train_on_docs(module, docs, None)
    assert embed.char_embed.weight.grad.abs().sum() > 0


def test_multihash_with_static_vectors(vocab):
    vocab.vectors.add("cat", vector=np.ones(6, dtype="f"))
    module = hash_embed_cnn(pretrained_vectors=True)
    out = predict_docs(module, make_docs(vocab, ["cat dog"]))
    assert out[0].shape == (2, 16)


def test_architectures_and_optimizer_resolve_from_config(vocab):
    from treadle.config import Config

    cfg = Config().from_str(
        """
[optimizer]
@optimizers = "Adam.v1"
L2 = 0.01

[optimizer.learn_rate]
@schedules = "warmup_linear.v1"
initial_rate = 0.001
warmup_steps = 10
total_steps = 100

[model]
@architectures = "treadle.HashEmbedCNN.v1"
width = 8
depth = 1
embed_size = 50
window_size = 1
maxout_pieces = 2
subword_features = false
pretrained_vectors = null
"""
    )
    resolved = registry.resolve(cfg)
    assert resolved["optimizer"].learn_rate == 0.0
    resolved["optimizer"].step_schedules()
    assert resolved["optimizer"].learn_rate == pytest.approx(0.0001)
    out = predict_docs(resolved["model"], make_docs(vocab, ["a b"]))
    assert out[0].shape == (2, 8)


def _gradcheck_on_docs(module, docs):
    from torch.func import functional_call

    module = module.double()
    names = [n for n, _ in module.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for _, p in module.named_parameters())

    def f(*ps):
        out = functional_call(module, dict(zip(names, ps, strict=True)), (docs,))
        if isinstance(out, list):
            return torch.cat(out)
        return out.data if hasattr(out, "data") else out

    assert torch.autograd.gradcheck(f, params, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_whole_encoders_gradients_on_docs(vocab):
    fix_random_seed(0)
    vocab.vectors.add("cat", vector=np.array([0.5, -1.0], dtype="f"))
    docs = make_docs(vocab, ["the cat sat", "a dog"])
    _gradcheck_on_docs(hash_embed_cnn(width=3, depth=1, embed_size=4, maxout_pieces=2), docs)
    embed = registry.architectures.get("treadle.CharacterEmbed.v1")(
        width=3, rows=4, nM=2, nC=2, also_embed_subwords=False, also_use_static_vectors=False
    )
    embed.char_embed = type(embed.char_embed)(2, 8, seed=1, n_hashes=2)  # a tiny char table
    _gradcheck_on_docs(embed, docs)
    sv = StaticVectors(3, 2)
    _gradcheck_on_docs(sv, docs)


def test_empty_batches_and_empty_docs(vocab):
    module = hash_embed_cnn()
    assert predict_docs(module, []) == []
    module.train()
    Y = module([Doc(vocab, words=[])])
    assert Y[0].shape == (0, 16)
    assert module([]) == []


@pytest.mark.parametrize("activation", ["maxout", "mish"])
def test_training_dropout_reaches_every_encoder_layer(vocab, activation):
    from treadle.ml.dropout import set_dropout_rate

    fix_random_seed(0)
    if activation == "maxout":
        net = hash_embed_cnn(depth=3)
    else:
        net = registry.architectures.get("treadle.Tok2Vec.v1")(
            embed=registry.architectures.get("treadle.MultiHashEmbed.v1")(
                width=16, attrs=["NORM", "SHAPE"], rows=[100, 50], include_static_vectors=False
            ),
            encode=registry.architectures.get("treadle.MishWindowEncoder.v1")(
                width=16, window_size=1, depth=3
            ),
        )
    # The embedding mix and each of the 3 encoder blocks take the training's rate.
    assert set_dropout_rate(net, 0.3) >= 4
    docs = make_docs(vocab, ["the cat sat on the mat", "dogs bark"])
    net.train()
    a, b = torch.cat(net(docs)), torch.cat(net(docs))
    assert not torch.equal(a, b)
    net.eval()
    with torch.no_grad():
        assert torch.equal(torch.cat(net(docs)), torch.cat(net(docs)))


@pytest.mark.parametrize("embed_kind", ["multihash", "character"])
def test_long_docs_encode_in_pieces_with_the_same_rows(vocab, monkeypatch, embed_kind):
    """Prediction cuts a long Doc into pieces (with the encoder's receptive field as
    context) and embeds rows in blocks: the rows must equal the whole-batch ones."""
    import random

    from treadle.ml.architectures import tok2vec as t2v

    fix_random_seed(0)
    if embed_kind == "multihash":
        embed = registry.architectures.get("treadle.MultiHashEmbed.v2")(
            width=8, attrs=["NORM", "SHAPE"], rows=[50, 20], include_static_vectors=False
        )
    else:
        embed = registry.architectures.get("treadle.CharacterEmbed.v1")(
            width=8, rows=50, nM=4, nC=3, also_embed_subwords=True, also_use_static_vectors=False
        )
    encode = registry.architectures.get("treadle.MaxoutWindowEncoder.v1")(
        width=8, window_size=2, maxout_pieces=2, depth=3
    )
    module = registry.architectures.get("treadle.Tok2Vec.v1")(embed=embed, encode=encode).eval()
    rng = random.Random(0)
    words = ["the", "cat", "Sat", "on", "mats", "x1", "ZZ", "héllo"]
    texts = [" ".join(rng.choice(words) for _ in range(n)) for n in (5, 230, 3, 61, 1, 7)]
    docs = make_docs(vocab, texts)
    with torch.no_grad():
        whole = [t.clone() for t in module(docs)]
    monkeypatch.setattr(t2v, "CHUNK_ROWS", 40)  # pieces of 40 rows, 12 of them context
    with torch.no_grad():
        pieces = module(docs)
    assert [t.shape for t in pieces] == [t.shape for t in whole]
    for a, b in zip(pieces, whole, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # the receptive field is what the pieces need: less context would change rows
    monkeypatch.setattr(type(encode), "receptive_field", property(lambda self: 1))
    with torch.no_grad():
        short = module(docs)
    assert not torch.allclose(short[1], whole[1], atol=1e-6)
