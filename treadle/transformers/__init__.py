"""treadle.transformers: the bridge to Hugging Face models (issue 12).

This package holds span getters (which stretches of a Doc the model reads), the
wordpiece-to-token alignment from character offsets, windows over a Doc's wordpieces
and the averaging of their overlaps, the poolings to one vector per token, the
model (``treadle.TransformerModel.v1``, ``model.py``) and the listener downstream
components embed (``treadle.TransformerListener.v1``, ``listener.py``); the pipeline
component is ``treadle/pipeline/transformer.py``. ``transformers`` itself is imported lazily
(:func:`require_transformers`), so this package imports without the extra.
"""

from treadle.transformers import listener, model, pooling, span_getters  # noqa: F401  (registration)
from treadle.transformers._deps import INSTALL_HINT, require_transformers
from treadle.transformers.alignment import PieceAlignment, align_offsets
from treadle.transformers.listener import TransformerListener
from treadle.transformers.model import DocTransformerOutput, TransformerModel
from treadle.transformers.pooling import PiecePooling
from treadle.transformers.span_getters import doc_spans, sent_spans, strided_spans
from treadle.transformers.windows import (
    DocPieces,
    Window,
    average_windows,
    pad_windows,
    span_windows,
    tokenize_docs,
)

__all__ = [
    "INSTALL_HINT",
    "DocPieces",
    "DocTransformerOutput",
    "PieceAlignment",
    "PiecePooling",
    "TransformerListener",
    "TransformerModel",
    "Window",
    "align_offsets",
    "average_windows",
    "doc_spans",
    "pad_windows",
    "require_transformers",
    "sent_spans",
    "span_windows",
    "strided_spans",
    "tokenize_docs",
]
