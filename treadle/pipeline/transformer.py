"""transformer: runs a Hugging Face model once per batch and shares its outputs.

The component's ``model`` (``treadle.TransformerModel.v1``) maps a batch of Docs to
one output per Doc: its wordpieces, their last hidden states and the token ->
wordpiece alignment. The component stores them as ``doc._.trf_data``
(:class:`TransformerData`, hidden states as CPU numpy) and hands them to its
*listeners*, the ``treadle.TransformerListener.v1`` layers in later components'
models, exactly as ``tok2vec`` does (``_internal/listeners.py``): in training the
outputs keep their graph, so every listener's loss reaches the transformer through
the single backward pass of ``nlp.update``. It has no loss of its own.

Frozen (``[training] frozen_components``) it runs as in prediction and hands its
detached outputs to the listeners, which keep training.

This module imports neither ``transformers`` nor ``treadle.transformers`` (factories
are found by importing every module of this package): only the model does, when a
config builds it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.config import registry
from treadle.ml.grad_scaler import GradScaler
from treadle.pipeline._internal.listeners import ListenedTo
from treadle.pipeline._internal.serialize import Part
from treadle.pipeline._internal.trainable import TrainablePipe
from treadle.pipeline.factories import factory
from treadle.tokens import Doc

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Vocab

AnnotationSetter = Callable[[list[Doc], list[Any]], None]

# The component's sub-folder of Hugging Face files; the model reads it by the same
# name (treadle.transformers.model.HF_FOLDER), which this module can't import.
HF_FOLDER = "hf"

DEFAULT_TRANSFORMER_MODEL: dict[str, Any] = {
    "@architectures": "treadle.TransformerModel.v1",
    "name": "roberta-base",
    "get_spans": {"@span_getters": "treadle.strided_spans.v1", "window": 128, "stride": 96},
}


@dataclass
class TransformerData:
    """``doc._.trf_data``: the transformer's output for one Doc."""

    input_ids: np.ndarray  # (n_pieces,) int64 wordpiece ids (no special tokens)
    wordpieces: list[str]  # the same pieces as strings
    hidden: np.ndarray  # (n_pieces, width) float32 last hidden state per wordpiece
    alignment: Any  # PieceAlignment: token -> wordpiece indices

    @property
    def width(self) -> int:
        return int(self.hidden.shape[1])


if not Doc.has_extension("trf_data"):
    Doc.set_extension("trf_data", default=None)


@registry.annotation_setters("treadle.null_annotation_setter.v1")
def configure_null_annotation_setter() -> AnnotationSetter:
    """Set nothing besides ``doc._.trf_data``."""

    def null_annotation_setter(docs: list[Doc], outputs: list[Any]) -> None:
        return None

    return null_annotation_setter


class Transformer(ListenedTo, TrainablePipe):
    """Runs ``model`` (list[Doc] -> one DocTransformerOutput per Doc) for the pipeline."""

    model: torch.nn.Module
    listener_kind = "transformer"

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "transformer",
        *,
        nlp: Language | None = None,
        set_extra_annotations: AnnotationSetter | None = None,
        max_batch_items: int = 4096,
    ) -> None:
        super().__init__(vocab, model, name)
        self.cfg.pop("labels", None)
        self.set_extra_annotations = set_extra_annotations
        if hasattr(model, "max_batch_items"):
            model.max_batch_items = max_batch_items
        self._init_listeners(nlp)


    def _on_listener_found(self, listener: torch.nn.Module) -> None:
        width = getattr(self.model, "width", None)
        if isinstance(width, int) and hasattr(listener, "set_width"):
            listener.set_width(width)

    # ------------------------------------------------------------------ running

    @property
    def grad_scaler(self) -> GradScaler | None:
        """The loss scaler of the training step while the model runs under float16
        autocast (``mixed_precision`` on a GPU); None otherwise."""
        active = getattr(self.model, "active_grad_scaler", None)
        return active() if active is not None else None

    def _forward(self, docs: list[Doc]) -> list[Any]:
        return self.model(docs)

    def _keep_outputs(self, docs: list[Doc], outputs: list[Any], *, annotate: bool) -> None:
        _set_trf_data(docs, outputs)
        if annotate and self.set_extra_annotations is not None:
            self.set_extra_annotations(docs, [o.detach() for o in outputs])

    # ------------------------------------------------------------------ serialization

    def serialization_parts(self) -> dict[str, Part]:
        """cfg, then ``hf`` (the Hugging Face config and tokenizer files, a folder),
        then the weights (``model.safetensors``): the files say what architecture and
        tokenizer the weights are read into, so they come first."""
        parts = super().serialization_parts()
        hf_files = getattr(self.model, "hf_files", None)
        if hf_files is None:  # a model that is not treadle.TransformerModel.v1
            return parts
        weights = parts.pop("model", None)
        parts["hf"] = Part(HF_FOLDER, hf_files, self.model.load_hf_files, folder=True)
        if weights is not None:
            parts["model"] = weights
        return parts


def _set_trf_data(docs: Sequence[Doc], outputs: Sequence[Any]) -> None:
    """One device->host copy for the batch, then a numpy view per Doc."""
    if not docs:
        return
    hidden = [o.hidden.detach() for o in outputs]
    # One Doc (a long one, say): its rows as they are, no concatenated copy.
    packed = (hidden[0] if len(hidden) == 1 else torch.cat(hidden, dim=0)).float().cpu().numpy()
    bounds = np.cumsum([len(o) for o in outputs])[:-1]
    for doc, out, rows in zip(docs, outputs, np.split(packed, bounds), strict=True):
        doc._.trf_data = TransformerData(out.input_ids, out.wordpieces, rows, out.alignment)


@factory(
    "transformer",
    assigns=["doc._.trf_data"],
    default_config={
        "model": DEFAULT_TRANSFORMER_MODEL,
        "set_extra_annotations": None,
        "max_batch_items": 4096,
    },
    default_score_weights={},
)
def make_transformer(
    nlp: Language,
    name: str,
    model: torch.nn.Module,
    set_extra_annotations: AnnotationSetter | None = None,
    max_batch_items: int = 4096,
) -> Transformer:
    return Transformer(
        nlp.vocab,
        model,
        name,
        nlp=nlp,
        set_extra_annotations=set_extra_annotations,
        max_batch_items=max_batch_items,
    )
