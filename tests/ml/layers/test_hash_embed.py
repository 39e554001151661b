"""HashEmbed: gradients, hashing, column selection, registration."""

from __future__ import annotations

import numpy as np
import torch

from tests.ml.helpers import gradcheck_all
from treadle.ml.layers import HashEmbed, hash_ids


def test_hash_embed_gradients_and_hashing():
    torch.manual_seed(0)
    ids = torch.tensor([5, -7, 2**62, 5], dtype=torch.long)
    emb = HashEmbed(3, 11, seed=1)
    gradcheck_all(emb, lambda: ids)
    out = emb(ids)
    assert out.shape == (4, 3)
    assert torch.equal(out[0], out[3])  # same id, same vector
    rows = emb.rows(ids)
    assert rows.shape == (4, 4) and int(rows.min()) >= 0 and int(rows.max()) < 11
    # different seeds hash differently; hashing is stable across calls
    seeds_a = torch.tensor([1, 2], dtype=torch.long)
    assert torch.equal(hash_ids(ids, seeds_a), hash_ids(ids.clone(), seeds_a))
    assert not torch.equal(HashEmbed(3, 1000, seed=1).rows(ids), HashEmbed(3, 1000, seed=2).rows(ids))
    # rows spread over the table
    many = torch.arange(5000, dtype=torch.long)
    counts = np.bincount(HashEmbed(2, 100, seed=3).rows(many).reshape(-1).numpy(), minlength=100)
    assert counts.min() > 100 and counts.max() < 300


def test_hash_embed_columns():
    ids = torch.tensor([[1, 2], [3, 4]], dtype=torch.long)
    emb = HashEmbed(2, 50, column=1)
    torch.testing.assert_close(emb(ids), emb(ids[:, 1]))


def test_hash_embed_is_registered_as_architecture_and_layer():
    from treadle.config import registry

    arch = registry.architectures.get("treadle.HashEmbed.v1")
    assert arch is registry.layers.get("HashEmbed.v1")
    emb = arch(nO=8, nV=50, seed=3)
    ids = torch.tensor([1, 2, 2**62 + 5], dtype=torch.int64)
    out = emb(ids)
    assert out.shape == (3, 8)
    assert torch.equal(out[0], emb(ids[:1])[0])
