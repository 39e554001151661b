"""Windows over a Doc's wordpieces, and averaging their overlapping outputs back."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.transformers.tiny_bert import MAX_POSITIONS, WORDS
from treadle.config import registry
from treadle.errors import TreadleError
from treadle.tokens import Doc
from treadle.transformers import (
    average_windows,
    pad_windows,
    span_windows,
    strided_spans,
    tokenize_docs,
)
from treadle.transformers.windows import special_token_template

# ------------------------------------------------------------ averaging, synthetic


def test_average_windows_overlaps_and_specials():
    h1 = torch.tensor([[100.0], [1.0], [2.0], [3.0], [100.0]])  # [CLS] p0 p1 p2 [SEP]
    h2 = torch.tensor([[100.0], [5.0], [6.0], [7.0], [100.0]])  # [CLS] p1 p2 p3 [SEP]
    pos1 = np.array([-1, 0, 1, 2, -1])
    pos2 = np.array([-1, 1, 2, 3, -1])
    out = average_windows([h1, h2], [pos1, pos2], n_rows=5)
    assert out.squeeze(1).tolist() == [1.0, 3.5, 4.5, 7.0, 0.0]  # row 4: no window


def test_average_windows_gradcheck():
    h1 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    h2 = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    pos = [np.array([-1, 0, 1, -1]), np.array([1, 2, -1])]
    assert torch.autograd.gradcheck(lambda a, b: average_windows([a, b], pos, n_rows=3), (h1, h2))


def test_average_windows_checks_lengths():
    with pytest.raises(ValueError, match="positions"):
        average_windows([torch.zeros(3, 2)], [np.array([0, 1])], n_rows=2)


# ------------------------------------------------------------ real tokenizer


def make_doc(vocab, n: int, seed: int = 0) -> Doc:
    rng = np.random.default_rng(seed)
    # include words the tokenizer splits into several pieces ("happyness", "dogs")
    pool = [*WORDS[:20], "happyness", "dogs", "walking", "unbelievable"]
    return Doc(vocab, words=[pool[k] for k in rng.integers(0, len(pool), n)])


def test_special_token_template(bert_tokenizer):
    prefix, suffix = special_token_template(bert_tokenizer)
    assert bert_tokenizer.convert_ids_to_tokens(prefix.tolist()) == ["[CLS]"]
    assert bert_tokenizer.convert_ids_to_tokens(suffix.tolist()) == ["[SEP]"]


def test_windows_share_doc_wordpieces(bert_tokenizer, vocab):
    doc = make_doc(vocab, 50)
    (dp,) = tokenize_docs(bert_tokenizer, [doc])
    spans = strided_spans([doc], window=12, stride=8)
    windows = span_windows(bert_tokenizer, spans, [dp], max_length=MAX_POSITIONS)
    assert len(windows) == len(spans[0])
    cls_id, sep_id = bert_tokenizer.cls_token_id, bert_tokenizer.sep_token_id
    for w in windows:
        assert w.input_ids[0] == cls_id and w.input_ids[-1] == sep_id
        inner = w.positions[1:-1]
        assert w.positions[0] == -1 and w.positions[-1] == -1
        assert np.array_equal(inner, np.arange(inner[0], inner[-1] + 1))  # contiguous run
        assert np.array_equal(w.input_ids[1:-1], dp.input_ids[inner])
    covered = np.unique(np.concatenate([w.positions[w.positions >= 0] for w in windows]))
    assert covered.tolist() == list(range(len(dp)))


def test_long_span_is_cut_to_fit(bert_tokenizer, vocab):
    doc = make_doc(vocab, 100)
    (dp,) = tokenize_docs(bert_tokenizer, [doc])
    spans = registry.span_getters.get("treadle.doc_spans.v1")()([doc])
    windows = span_windows(bert_tokenizer, spans, [dp], max_length=16)
    assert all(len(w) <= 16 for w in windows)
    inner = np.concatenate([w.positions[w.positions >= 0] for w in windows])
    assert inner.tolist() == list(range(len(dp)))  # chunks: no overlap, no gap


def test_whitespace_only_span_gives_no_window(bert_tokenizer, vocab):
    doc = Doc(vocab, words=["cat", " ", "dog"], spaces=[True, False, False])
    (dp,) = tokenize_docs(bert_tokenizer, [doc])
    windows = span_windows(bert_tokenizer, [[doc[1:2], doc[0:3]]], [dp], max_length=8)
    assert len(windows) == 1


def test_max_length_must_leave_room(bert_tokenizer, vocab):
    doc = make_doc(vocab, 3)
    with pytest.raises(TreadleError, match="no room"):
        span_windows(bert_tokenizer, [[doc[:]]], tokenize_docs(bert_tokenizer, [doc]), max_length=2)


def run_model(model, tokenizer, docs, get_spans, max_length):
    """Docs -> (per Doc, its wordpiece rows, averaged over overlapping windows)."""
    pieces = tokenize_docs(tokenizer, docs)
    windows = span_windows(tokenizer, get_spans(docs), pieces, max_length=max_length)
    ids, mask = pad_windows(windows, tokenizer.pad_token_id)
    assert ids.shape[1] <= model.config.max_position_embeddings
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    out = []
    for k, dp in enumerate(pieces):
        mine = [i for i, w in enumerate(windows) if w.doc_index == k]
        out.append(
            average_windows(
                [hidden[i, : len(windows[i])] for i in mine], [windows[i].positions for i in mine], len(dp)
            )
        )
    return pieces, out


def test_long_doc_through_strided_spans_one_row_per_wordpiece(bert_model, bert_tokenizer, vocab):
    docs = [make_doc(vocab, 80, seed=1), make_doc(vocab, 7, seed=2)]
    get_spans = registry.span_getters.get("treadle.strided_spans.v1")(window=20, stride=12)
    pieces, outputs = run_model(bert_model, bert_tokenizer, docs, get_spans, MAX_POSITIONS)
    for dp, out in zip(pieces, outputs, strict=True):
        assert out.shape == (len(dp), bert_model.config.hidden_size)
        assert torch.all(out.abs().sum(1) > 0)  # every piece covered by some window
    pool = registry.layers.get("treadle.reduce_mean.v1")()
    tokvecs = pool(outputs[0], pieces[0].alignment.to_ragged())
    assert tokvecs.shape == (len(docs[0]), bert_model.config.hidden_size)
    tokvecs.sum().backward()  # differentiable all the way to the model
    assert bert_model.embeddings.word_embeddings.weight.grad is not None
    bert_model.zero_grad()


def test_2000_token_doc_stays_within_max_positions(bert_model, bert_tokenizer, vocab):
    doc = make_doc(vocab, 2000, seed=3)
    # 128-token windows hold more wordpieces than the model's 64 positions: they are cut.
    get_spans = registry.span_getters.get("treadle.strided_spans.v1")()
    with torch.no_grad():
        pieces, (out,) = run_model(bert_model, bert_tokenizer, [doc], get_spans, MAX_POSITIONS)
    assert len(pieces[0]) > 2000
    assert out.shape == (len(pieces[0]), 32)
    assert torch.isfinite(out).all()
