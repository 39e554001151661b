"""Tok2VecListener: receiving a batch, passing the gradient back, reading doc.tensor."""

from __future__ import annotations

import pytest
import torch

from tests.ml.helpers import hash_embed_cnn, make_docs
from treadle.ml import fix_random_seed
from treadle.ml.layers import Tok2VecListener


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
