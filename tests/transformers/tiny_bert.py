"""A tiny real Hugging Face tokenizer and model, built locally: nothing is downloaded.

``bert_tokenizer`` is a ``BertTokenizerFast`` on a few dozen words and ``##`` pieces
written to a tmp ``vocab.txt``; ``bert_model`` a randomly initialised 2-layer
``BertModel`` with 64 positions. Tests using them skip when the transformers extra
is not installed, so the rest of the suite runs without it. A plugin of the root
``tests/conftest.py``, so ``tests/pipeline`` uses them too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = [
    "the", "a", "cat", "dog", "sat", "on", "mat", "and", "ran", "to", "house", "big",
    "small", "red", "blue", "is", "was", "it", "he", "she", "un", "happy",
    "walk", "talk", "ab", "abcd", "hello", "world", ".", ",", "!", "?", "'", "s",
]
PIECES = ["##believ", "##able", "##ing", "##ed", "##s", "##ly", "##ness", "##cd", "##er", "##y"]
VOCAB = SPECIALS + WORDS + PIECES
MAX_POSITIONS = 64


@pytest.fixture(scope="session")
def transformers_mod():
    return pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def bert_tokenizer(transformers_mod, tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("tiny_bert")
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(VOCAB) + "\n", encoding="utf8")
    return transformers_mod.BertTokenizerFast(
        vocab_file=str(vocab_file), do_lower_case=True, model_max_length=MAX_POSITIONS
    )


@pytest.fixture(scope="session")
def bert_model(transformers_mod):
    import torch

    torch.manual_seed(0)
    config = transformers_mod.BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        vocab_size=len(VOCAB),
        max_position_embeddings=MAX_POSITIONS,
    )
    model = transformers_mod.BertModel(config)
    model.eval()
    return model


@pytest.fixture(scope="session")
def tiny_bert_dir(bert_tokenizer, bert_model, tmp_path_factory) -> Path:
    """The tiny tokenizer and model saved as a Hugging Face folder, to load by path."""
    folder: Path = tmp_path_factory.mktemp("tiny_bert_saved")
    bert_tokenizer.save_pretrained(folder)
    bert_model.save_pretrained(folder)
    return folder
