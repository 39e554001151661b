"""treadle.BiLSTMEncoder.v1, treadle.CharacterEmbed.v2 and treadle.Tok2Vec.v2."""

from __future__ import annotations

import textwrap

import pytest
import torch

from tests.ml.helpers import make_docs, predict_docs, train_on_docs
from treadle.config import registry
from treadle.errors import ConfigError
from treadle.ml import Adam, fix_random_seed
from treadle.ml.layers.char_cnn import word_code_points
from treadle.tokens import Doc

ARCH = registry.architectures.get


def bilstm_tok2vec(width: int = 16, depth: int = 2, chars: bool = False, attrs=("NORM", "SHAPE")):
    attrs, rows = list(attrs), [200, 50][: len(attrs)]
    if chars:
        embed = ARCH("treadle.CharacterEmbed.v2")(width=width, attrs=attrs, rows=rows, char_width=8, char_dim=4)
    else:
        embed = ARCH("treadle.MultiHashEmbed.v2")(width=width, attrs=attrs, rows=rows)
    encode = ARCH("treadle.BiLSTMEncoder.v1")(width=width, depth=depth, dropout=0.1)
    return ARCH("treadle.Tok2Vec.v2")(embed=embed, encode=encode)


@pytest.mark.parametrize("chars", [False, True])
def test_shapes_and_gradients_with_empty_docs(vocab, chars):
    fix_random_seed(0)
    module = bilstm_tok2vec(chars=chars)
    docs = make_docs(vocab, ["the cat sat", "a", "dogs bark loudly at night"])
    docs.insert(1, Doc(vocab, words=[]))
    assert [tuple(t.shape) for t in predict_docs(module, docs)] == [(3, 16), (0, 16), (1, 16), (5, 16)]
    train_on_docs(module, docs, None)
    assert all(p.grad is not None for p in module.parameters())
    assert predict_docs(module, [Doc(vocab, words=[])])[0].shape == (0, 16)


def test_rows_come_back_in_order_whatever_the_batch(vocab):
    """Packing sorts the Docs by length; each Doc's rows must be its own, in order,
    alone or beside longer and shorter Docs."""
    fix_random_seed(0)
    module = bilstm_tok2vec().eval()
    doc = make_docs(vocab, ["the quick brown fox"])[0]
    others = make_docs(vocab, ["a", "jumps over the lazy dog again and again"])
    alone = module([doc])[0]
    with torch.no_grad():
        for batch in ([others[0], doc, others[1]], [others[1], doc], [doc, others[0]]):
            torch.testing.assert_close(module(batch)[batch.index(doc)], alone)


def test_every_row_sees_the_whole_doc(vocab):
    """Unlike a window encoder: changing the last word changes the first row."""
    fix_random_seed(0)
    module = bilstm_tok2vec(depth=1).eval()
    a, b = make_docs(vocab, ["one two three four five six seven eight", "one two three four five six seven nine"])
    with torch.no_grad():
        out_a, out_b = module([a]), module([b])
    assert not torch.allclose(out_a[0][0], out_b[0][0])


def test_character_cnn_generalizes_a_suffix_to_unseen_words(vocab):
    """The spelling alone tells unseen words apart: trained to find "-ing" on random
    stems (letters without i, n, g), it finds it on 60 new ones."""
    import random

    from treadle.ml.layers.char_cnn import CharacterCNN

    def words(rng: random.Random, n: int) -> list[str]:
        stems = ["".join(rng.choice("abcdefhklmoprstuvwy") for _ in range(rng.randint(3, 7))) for _ in range(n)]
        return [s + "ing" for s in stems] + stems

    rng = random.Random(0)
    fix_random_seed(0)
    train, test = words(rng, 100), words(rng, 30)
    cnn, head = CharacterCNN(16, char_dim=8), torch.nn.Linear(16, 2)
    docs = make_docs(vocab, [" ".join(train)])
    gold = torch.tensor([int(w.endswith("ing")) for w in train])
    opt = torch.optim.Adam([*cnn.parameters(), *head.parameters()], lr=0.02)
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(head(cnn(docs)), gold).backward()
        opt.step()
    with torch.no_grad():
        pred = head(cnn(make_docs(vocab, [" ".join(test)]))).argmax(-1)
    want = torch.tensor([int(w.endswith("ing")) for w in test])
    assert (pred == want).float().mean() >= 0.95


def test_long_words_keep_prefix_and_suffix():
    cps = word_code_points("internationalization", 8)
    assert "".join(chr(c - 1) for c in cps) == "inte" + "tion"
    assert list(word_code_points("ab", 4)) == [ord("a") + 1, ord("b") + 1, 0, 0]


@pytest.mark.parametrize(
    ("settings", "words"),
    [({"width": 15, "depth": 1}, "even"), ({"width": 16, "depth": 0}, "depth"),
     ({"width": 16, "depth": 1, "dropout": 1.0}, "dropout")],
)
def test_bad_settings_are_config_errors(settings, words):
    with pytest.raises(ConfigError, match=words):
        ARCH("treadle.BiLSTMEncoder.v1")(**settings)


def test_resolves_from_a_config_and_trains(vocab):
    from treadle.config import Config

    cfg = Config().from_str(textwrap.dedent(
        """
        [model]
        @architectures = "treadle.Tok2Vec.v2"

        [model.embed]
        @architectures = "treadle.CharacterEmbed.v2"
        width = 8
        attrs = ["NORM"]
        rows = [100]

        [model.encode]
        @architectures = "treadle.BiLSTMEncoder.v1"
        width = 8
        depth = 1
        """
    ))
    module = registry.resolve(cfg)["model"]
    docs = make_docs(vocab, ["a b c"])
    train_on_docs(module, docs, Adam(0.01))
    assert predict_docs(module, docs)[0].shape == (3, 8)
