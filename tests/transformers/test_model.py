"""TransformerModel and TransformerListener on the tiny local BERT (nothing downloaded)."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import treadle
from treadle.errors import ConfigError
from treadle.transformers import TransformerListener, TransformerModel, doc_spans, sent_spans
from treadle.transformers.model import model_max_length
from treadle.transformers.pooling import make_reduce_mean

TEXT = "the cat sat on the mat . the unbelievable dog ran to the big red house !"


@pytest.fixture(scope="module")
def nlp():
    return treadle.blank("en")


def test_one_row_per_doc_wordpiece(bert_tokenizer, bert_model, nlp):
    model = TransformerModel(bert_tokenizer, bert_model, doc_spans)
    docs = [nlp.make_doc(TEXT), nlp.make_doc("hello world"), nlp.make_doc("")]
    outputs = model(docs)
    assert model.width == 32 and model.max_length == 64
    for doc, out in zip(docs, outputs, strict=True):
        expected = bert_tokenizer(doc.text, add_special_tokens=False)["input_ids"]
        assert out.input_ids.tolist() == expected
        assert out.wordpieces == bert_tokenizer.convert_ids_to_tokens(expected)
        assert out.hidden.shape == (len(expected), 32)
        assert out.alignment.n_tokens == len(doc)
    assert "##believ" in outputs[0].wordpieces
    # One window, one Doc: the same rows as running the HF model directly.
    ids = torch.tensor([bert_tokenizer("hello world")["input_ids"]])
    with torch.no_grad():
        direct = bert_model(input_ids=ids).last_hidden_state[0, 1:-1]
        ours = model([nlp.make_doc("hello world")])[0].hidden
    torch.testing.assert_close(ours, direct, rtol=1e-4, atol=1e-5)


def test_long_doc_goes_through_in_windows(bert_tokenizer, bert_model, nlp):
    doc = nlp.make_doc(" ".join([TEXT] * 12))  # ~200 wordpieces, model takes 64 positions
    model = TransformerModel(bert_tokenizer, bert_model, doc_spans, max_batch_items=256)
    with torch.no_grad():
        out = model([doc])[0]
    n_pieces = len(bert_tokenizer(doc.text, add_special_tokens=False)["input_ids"])
    assert n_pieces > 64
    assert out.hidden.shape == (n_pieces, 32)
    assert torch.isfinite(out.hidden).all() and out.hidden.abs().sum(dim=1).gt(0).all()


def test_prediction_averages_windows_in_place_like_training(bert_tokenizer, bert_model, nlp):
    """Without a graph the windows are summed into each Doc's rows group by group; the
    rows must be those of the differentiable path, overlaps and short Docs included."""
    from treadle.transformers.span_getters import configure_strided_spans

    docs = [nlp.make_doc(" ".join([TEXT] * 6)), nlp.make_doc("hello world"), nlp.make_doc("")]
    model = TransformerModel(
        bert_tokenizer, bert_model, configure_strided_spans(20, 12), max_batch_items=96
    )
    model.eval()
    with torch.no_grad():
        streamed = model(docs)
    with_graph = model(docs)
    assert with_graph[0].hidden.requires_grad
    for a, b in zip(streamed, with_graph, strict=True):
        assert a.hidden.shape == b.hidden.shape
        torch.testing.assert_close(a.hidden, b.hidden.detach(), rtol=1e-5, atol=1e-5)


def test_listener_pools_one_row_per_token(bert_tokenizer, bert_model, nlp):
    model = TransformerModel(bert_tokenizer, bert_model, doc_spans)
    docs = [nlp.make_doc("the cat  unbelievable"), nlp.make_doc("")]
    outputs = model(docs)
    listener = TransformerListener(make_reduce_mean(), width=32)
    listener.receive(tuple(id(d) for d in docs), outputs)
    rows = listener(docs)
    assert [r.shape for r in rows] == [(len(docs[0]), 32), (0, 32)]
    # The whitespace token has no wordpiece: zeros; "unbelievable" is the mean of its 3 pieces.
    space = [t.i for t in docs[0] if t.is_space][0]
    assert torch.all(rows[0][space] == 0)
    last = outputs[0].alignment.token_pieces(len(docs[0]) - 1)
    assert len(last) == 3
    torch.testing.assert_close(rows[0][-1], outputs[0].hidden[last].mean(dim=0))


def test_sent_spans_need_sentences(bert_tokenizer, bert_model, nlp):
    model = TransformerModel(bert_tokenizer, bert_model, sent_spans)
    with pytest.raises(treadle.errors.AnnotationError):
        model([nlp.make_doc("the cat")])


def test_slow_tokenizer_is_an_error(transformers_mod, bert_tokenizer, bert_model, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(bert_tokenizer.get_vocab()), encoding="utf8")
    slow = transformers_mod.BertTokenizer(vocab_file=str(vocab))
    with pytest.raises(ConfigError, match="not a fast tokenizer"):
        TransformerModel(slow, bert_model, doc_spans)


def test_from_pretrained_local_folder_and_use_fast(tiny_bert_dir, nlp):
    model = TransformerModel.from_pretrained(tiny_bert_dir, doc_spans)
    assert model.width == 32 and model.tokenizer.is_fast
    assert model([nlp.make_doc("hello world")])[0].hidden.shape == (2, 32)
    with pytest.raises(ConfigError, match="use_fast"):
        TransformerModel.from_pretrained(tiny_bert_dir, doc_spans, tokenizer_config={"use_fast": False})


def test_mixed_precision_on_cpu_warns_once(bert_tokenizer, bert_model, nlp):
    model = TransformerModel(bert_tokenizer, bert_model, doc_spans, mixed_precision=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.no_grad():
            model([nlp.make_doc("hello world")])
            model([nlp.make_doc("hello world")])
    assert sum("mixed_precision" in str(w.message) for w in caught) == 1


def test_max_length_from_config_and_tokenizer():
    tok = SimpleNamespace(model_max_length=int(1e30))
    bert = SimpleNamespace(max_position_embeddings=512, model_type="bert", pad_token_id=0)
    roberta = SimpleNamespace(max_position_embeddings=514, model_type="roberta", pad_token_id=1)
    assert model_max_length(bert, tok) == 512
    assert model_max_length(roberta, tok) == 512
    assert model_max_length(bert, SimpleNamespace(model_max_length=128)) == 128
    with pytest.raises(ConfigError):
        model_max_length(SimpleNamespace(), tok)


def test_registered_architecture(tiny_bert_dir, nlp):
    from treadle.config import registry

    make = registry.architectures.get("treadle.TransformerModel.v1")
    model = make(name=str(tiny_bert_dir), get_spans=doc_spans)
    out = model([nlp.make_doc("the cat sat")])[0]
    assert out.hidden.shape == (3, 32)
    assert np.array_equal(out.alignment.lengths, [1, 1, 1])
