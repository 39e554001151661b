"""``tok2vec``: a shared token encoder whose output feeds downstream components.

The encoder runs once per batch. Its output goes to ``doc.tensor`` and to every
*listener*: the ``Tok2VecListener`` layers inside later components' models whose
``upstream`` is this component's name, or ``"*"`` with this the nearest tok2vec
before them. In training the outputs keep their graph, so the listeners' losses
reach the encoder's weights through the single backward pass of ``nlp.update``
(each scaled by the listener's ``grad_factor``). The tok2vec has no loss of its own.

A frozen tok2vec (``nlp.update(..., exclude=["tok2vec"])``) runs as in prediction and
hands its detached outputs to the listeners, so listening components keep training.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.ml.architectures.tagger import encode_packed
from treadle.pipeline._internal.listeners import ListenedTo
from treadle.pipeline._internal.trainable import TrainablePipe
from treadle.pipeline.factories import factory

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Vocab

DEFAULT_TOK2VEC_MODEL: dict[str, Any] = {
    "@architectures": "treadle.HashEmbedCNN.v1",
    "width": 96,
    "depth": 4,
    "embed_size": 2000,
    "window_size": 1,
    "maxout_pieces": 3,
    "subword_features": True,
}


class Tok2Vec(ListenedTo, TrainablePipe):
    """Runs ``model`` (list[Doc] -> one (n_tokens, width) tensor per Doc) for the pipeline."""

    model: torch.nn.Module
    listener_kind = "tok2vec"

    def __init__(self, vocab: Vocab, model: torch.nn.Module, name: str = "tok2vec", *, nlp: Language | None = None) -> None:
        super().__init__(vocab, model, name)
        self.cfg.pop("labels", None)
        self._init_listeners(nlp)


    # ------------------------------------------------------------------ running

    def _forward(self, docs: list[Doc]) -> list[torch.Tensor]:
        return encode_packed(self.model, docs).split()

    def predict(self, docs: list[Doc]) -> list[torch.Tensor]:
        self.model.eval()
        with torch.no_grad():
            return self._forward(docs)

    def _keep_outputs(self, docs: list[Doc], outputs: list[torch.Tensor], *, annotate: bool) -> None:
        _set_doc_tensors(docs, outputs)


def _set_doc_tensors(docs: list[Doc], outputs: list[torch.Tensor]) -> None:
    """One device->host copy for the batch, then a numpy view per Doc."""
    if not docs:
        return
    packed = torch.cat([t.detach() for t in outputs], dim=0).float().cpu().numpy()
    lengths = [len(doc) for doc in docs]
    for doc, arr in zip(docs, np.split(packed, np.cumsum(lengths)[:-1]), strict=True):
        doc.tensor = arr


@factory(
    "tok2vec",
    assigns=["doc.tensor"],
    default_config={"model": DEFAULT_TOK2VEC_MODEL},
    default_score_weights={},
)
def make_tok2vec(nlp: Language, name: str, model: torch.nn.Module) -> Tok2Vec:
    return Tok2Vec(nlp.vocab, model, name, nlp=nlp)
