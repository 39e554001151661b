"""Wordpiece -> token alignment from character offsets, synthetic and real."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from treadle.tokens import Doc
from treadle.transformers import PieceAlignment, align_offsets, tokenize_docs


def pieces_per_token(al: PieceAlignment) -> list[list[int]]:
    return [al.token_pieces(i) for i in range(al.n_tokens)]


def test_synthetic_offsets(vocab):
    # "hello world" -> tokens [0, 5) [6, 11)
    doc = Doc(vocab, words=["hello", "world"])
    offsets = [(0, 0), (0, 3), (3, 5), (6, 11), (0, 0)]  # [CLS] hel ##lo world [SEP]
    al = align_offsets(doc, offsets)
    assert pieces_per_token(al) == [[1, 2], [3]]
    assert al.lengths.tolist() == [2, 1]


def test_piece_spanning_two_tokens_aligns_to_both(vocab):
    doc = Doc(vocab, words=["ab", "cd", "e"], spaces=[False, True, False])  # "abcd e"
    al = align_offsets(doc, [(0, 4), (5, 6)])
    assert pieces_per_token(al) == [[0], [0], [1]]


def test_token_without_pieces_and_special_tokens(vocab):
    doc = Doc(vocab, words=["a", " ", "b"], spaces=[True, False, False])  # "a  b"
    al = align_offsets(doc, [(0, 0), (0, 1), (3, 4), (0, 0), (0, 0)])
    assert pieces_per_token(al) == [[1], [], [2]]


def test_span_offsets_are_relative_to_the_span(vocab):
    doc = Doc(vocab, words=["x", "hello", "world"])  # "x hello world"
    span = doc[1:3]
    al = align_offsets(span, [(0, 5), (6, 9), (9, 11)])
    assert pieces_per_token(al) == [[0], [1, 2]]


def test_empty_inputs(vocab):
    assert align_offsets(Doc(vocab, words=[]), [(0, 1)]).n_tokens == 0
    al = align_offsets(Doc(vocab, words=["a", "b"]), np.zeros((0, 2)))
    assert al.lengths.tolist() == [0, 0]


def test_matches_a_per_token_loop(vocab):
    rng = np.random.default_rng(0)
    words = ["".join("xyz"[k] for k in rng.integers(0, 3, rng.integers(1, 6))) for _ in range(200)]
    doc = Doc(vocab, words=words, spaces=rng.random(200) < 0.7)
    text_len = len(doc.text)
    cuts = np.unique(rng.integers(0, text_len + 1, 150))
    offsets = np.stack([cuts[:-1], cuts[1:]], axis=1)
    al = align_offsets(doc, offsets)
    expected = [
        [p for p, (s, e) in enumerate(offsets) if e > s and s < t.idx + len(t) and e > t.idx]
        for t in doc
    ]
    assert pieces_per_token(al) == expected


def test_concat_and_ragged(vocab):
    a = PieceAlignment(np.array([0, 1, 1]), np.array([1, 2]))
    b = PieceAlignment(np.array([0]), np.array([0, 1]))
    both = PieceAlignment.concat([a, b], [2, 3])
    assert both.pieces.tolist() == [0, 1, 1, 2]
    assert both.lengths.tolist() == [1, 2, 0, 1]
    ragged = both.to_ragged()
    assert ragged.data.dtype == torch.long
    assert ragged.lengths == [1, 2, 0, 1]


# ----------------------------------------------------------------- real tokenizer


def test_real_offsets_subwords_and_whitespace(bert_tokenizer, vocab):
    words = ["The", "cat", "unbelievable", " ", "happyness", "abcd", "!"]
    spaces = [True, True, True, False, True, False, False]
    doc = Doc(vocab, words=words, spaces=spaces)
    (dp,) = tokenize_docs(bert_tokenizer, [doc])
    got = bert_tokenizer.convert_ids_to_tokens(dp.input_ids.tolist())
    assert got == ["the", "cat", "un", "##believ", "##able", "happy", "##ness", "abcd", "!"]
    assert pieces_per_token(dp.alignment) == [[0], [1], [2, 3, 4], [], [5, 6], [7], [8]]


def test_real_offsets_with_special_tokens(bert_tokenizer, vocab):
    doc = Doc(vocab, words=["the", "dogs", "ran"])
    enc = bert_tokenizer(doc.text, return_offsets_mapping=True)
    tokens = bert_tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert tokens == ["[CLS]", "the", "dog", "##s", "ran", "[SEP]"]
    al = align_offsets(doc, enc["offset_mapping"])
    assert pieces_per_token(al) == [[1], [2, 3], [4]]


def test_real_piece_straddling_two_tokens(bert_tokenizer, vocab):
    doc = Doc(vocab, words=["ab", "cd"], spaces=[False, False])  # "abcd" is one piece
    (dp,) = tokenize_docs(bert_tokenizer, [doc])
    assert bert_tokenizer.convert_ids_to_tokens(dp.input_ids.tolist()) == ["abcd"]
    assert pieces_per_token(dp.alignment) == [[0], [0]]


def test_slow_tokenizer_is_refused(transformers_mod, bert_tokenizer, vocab, tmp_path):
    from treadle.errors import TreadleError

    bert_tokenizer.save_vocabulary(str(tmp_path))
    slow = transformers_mod.BertTokenizer(vocab_file=str(tmp_path / "vocab.txt"))
    with pytest.raises(TreadleError, match="fast tokenizer"):
        tokenize_docs(slow, [Doc(vocab, words=["a"])])
