"""Registered architectures built from treadle.ml layers."""

from treadle.ml.architectures import biaffine as _biaffine  # noqa: F401  (registers treadle.BiaffineParser.v1)
from treadle.ml.architectures import parser as _parser  # noqa: F401  (registers treadle.TransitionBasedParser.v1)
from treadle.ml.architectures import pretraining as _pretraining  # noqa: F401  (registers treadle.Pretrain*.v1)
from treadle.ml.architectures import tagger as _tagger  # noqa: F401  (registers treadle.Tagger.v1)
from treadle.ml.architectures import textcat as _textcat  # noqa: F401  (registers treadle.TextCat*.v1)
from treadle.ml.architectures.tok2vec import (
    CharacterEmbed,
    MultiHashEmbed,
    Tok2Vec,
    WindowEncoder,
)

__all__ = ["CharacterEmbed", "MultiHashEmbed", "Tok2Vec", "WindowEncoder"]
