"""Token-to-vector architectures on real Docs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from treadle.config import registry
from treadle.ml import Adam, fix_random_seed
from treadle.ml.layers import StaticVectors, Tok2VecListener
from treadle.ml.modules import get_module_ref, load_state
from treadle.tokens import Doc, Vocab


@pytest.fixture
def vocab():
    return Vocab()


def make_docs(vocab, texts):
    return [Doc(vocab, words=t.split()) for t in texts]


def predict(module, docs):
    module.eval()
    with torch.no_grad():
        return module(docs)


def train_step(module, docs, opt, grads=torch.ones_like):
    """Forward in training mode, backward with ``grads(output)`` per output tensor, and
    (with ``opt``) an optimizer step; returns the outputs."""
    module.train()
    Y = module(docs)
    outputs = [y if isinstance(y, torch.Tensor) else y.data for y in (Y if isinstance(Y, list) else [Y])]
    outputs = [y for y in outputs if y.requires_grad]  # an empty Doc's rows have no graph
    torch.autograd.backward(outputs, [grads(y) for y in outputs])
    if opt is not None:
        opt.step(module)
        module.zero_grad(set_to_none=True)
    return Y


def hash_embed_cnn(**overrides):
    cfg = dict(width=16, depth=2, embed_size=100, window_size=1, maxout_pieces=3,
               subword_features=True, pretrained_vectors=None)
    cfg.update(overrides)
    return registry.architectures.get("treadle.HashEmbedCNN.v1")(**cfg)


def test_hash_embed_cnn_shapes(vocab):
    fix_random_seed(0)
    module = hash_embed_cnn()
    docs = make_docs(vocab, ["the cat sat", "a", "dogs bark loudly at night"])
    docs.append(Doc(vocab, words=[]))
    out = predict(module, docs)
    assert [tuple(t.shape) for t in out] == [(3, 16), (1, 16), (5, 16), (0, 16)]
    train_step(module, docs, None)
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
    train_step(m1, docs, Adam(0.1))
    save_file({k: v.contiguous() for k, v in m1.state_dict().items()}, tmp_path / "t2v.safetensors")
    fix_random_seed(1)
    m2 = hash_embed_cnn()
    load_state(m2, load_file(tmp_path / "t2v.safetensors"), where="t2v")
    for a, b in zip(predict(m1, docs), predict(m2, docs), strict=True):
        assert torch.equal(a, b)


def test_mish_encoder_and_multihash_config(vocab):
    embed = registry.architectures.get("treadle.MultiHashEmbed.v1")(
        width=8, attrs=["NORM", "SHAPE"], rows=[50, 20], include_static_vectors=False
    )
    encode = registry.architectures.get("treadle.MishWindowEncoder.v1")(width=8, window_size=1, depth=2)
    module = registry.architectures.get("treadle.Tok2Vec.v1")(embed=embed, encode=encode)
    out = predict(module, make_docs(vocab, ["a b c", "d"]))
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
    out = predict(module, docs)
    assert [tuple(t.shape) for t in out] == [(3, 8), (1, 8)]
    train_step(module, docs, None)
    assert embed.char_embed.weight.grad.abs().sum() > 0


def test_character_ids():
    from treadle.ml.layers.character_embed import word_char_ids

    ids = word_char_ids("abcdef", 4)
    assert ((ids - np.arange(4) - 1) // 64).tolist() == [ord(c) for c in "abef"]
    short = word_char_ids("a", 4)
    assert ((short - np.arange(4) - 1) // 64).tolist() == [ord("a"), 0, 0, ord("a")]


def test_static_vectors_not_updated_and_missing_keys_zero(vocab):
    fix_random_seed(0)
    table = np.arange(12, dtype="f").reshape(3, 4)
    for i, word in enumerate(["cat", "dog", "fish"]):
        vocab.vectors.add(word, vector=table[i])
    before = vocab.vectors.data.copy()
    layer = StaticVectors(5)
    docs = make_docs(vocab, ["cat unknown", "fish"])
    opt = Adam(0.1)
    for _ in range(3):
        train_step(layer, docs, opt)
    np.testing.assert_array_equal(vocab.vectors.data, before)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]  # the table is not a parameter
    out = predict(layer, docs).data
    assert torch.all(out[1] == 0)  # "unknown" has no vector
    torch.testing.assert_close(out[0], layer.weight.detach() @ torch.from_numpy(table[0]))
    assert "weight" in layer.state_dict() and len(layer.state_dict()) == 1


def test_multihash_with_static_vectors(vocab):
    vocab.vectors.add("cat", vector=np.ones(6, dtype="f"))
    module = hash_embed_cnn(pretrained_vectors=True)
    out = predict(module, make_docs(vocab, ["cat dog"]))
    assert out[0].shape == (2, 16)


def test_listener_receives_and_passes_gradient(vocab):
    fix_random_seed(0)
    tok2vec = hash_embed_cnn()
    listener_a = Tok2VecListener(16, upstream="tok2vec")
    listener_b = Tok2VecListener(16, grad_factor=0.0)
    docs = make_docs(vocab, ["a b c", "d e"])
    outputs = tok2vec(docs)
    batch = Tok2VecListener.batch_id(docs)
    listener_a.receive(batch, outputs)
    listener_b.receive(batch, outputs)
    loss_a = sum(t.sum() for t in listener_a(docs))
    loss_b = sum((t * 5).sum() for t in listener_b(docs))
    (loss_a + loss_b).backward()
    grads = {n: p.grad.clone() for n, p in tok2vec.named_parameters()}
    tok2vec.zero_grad()
    sum(t.sum() for t in tok2vec(docs)).backward()
    for n, p in tok2vec.named_parameters():
        torch.testing.assert_close(grads[n], p.grad)  # listener_b contributed nothing
    # prediction without a received batch reads doc.tensor
    for doc, t in zip(docs, outputs, strict=True):
        doc.tensor = t.detach().numpy()
    other = make_docs(vocab, ["x y"])
    with pytest.raises(Exception, match="doc.tensor"):
        listener_a(other)
    fresh = Tok2VecListener(16)
    got = fresh(docs)
    torch.testing.assert_close(got[0], outputs[0].detach())


def test_backward_objective_with_fused_softmax_gives_crossentropy_gradient():
    from treadle.ml.layers import Softmax
    from treadle.ml.losses import CategoricalCrossentropy, backward_objective

    torch.manual_seed(0)
    layer = Softmax(3, 4, init="glorot")
    X = torch.randn(5, 4)
    truth = torch.tensor([0, 2, 1, 1, 0])
    probs = layer(X)
    d_probs, _ = CategoricalCrossentropy()(probs.detach(), truth)
    backward_objective(probs, d_probs).backward()
    fused_grad = layer.weight.grad.clone()
    layer.zero_grad()
    torch.nn.functional.cross_entropy(torch.nn.functional.linear(X, layer.weight, layer.bias), truth).backward()
    torch.testing.assert_close(fused_grad, layer.weight.grad)


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
    out = predict(resolved["model"], make_docs(vocab, ["a b"]))
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
    assert predict(module, []) == []
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
