"""``TrainablePipe``: the base of every component with a torch model.

The training contract (notes: TRAINING_DESIGN.md) in one place:

- ``forward_loss(examples, drop=, set_annotations=)`` runs the model in training mode
  over the predicted Docs and returns a scalar loss tensor with its graph attached (no
  backward), so ``nlp.update`` can sum every component's loss and run ONE backward.
- ``update`` is the standalone convenience: forward_loss + backward (+ optimizer step).
- ``parameters_for_optimizer()`` gives ``("<component>.<param>", tensor)`` pairs, so a
  single optimizer holds the state of every component under stable keys.
- Weights are saved as safetensors, settings and labels as JSON: loading needs no
  training data, the output width comes from the saved labels.

Subclasses implement ``_forward(docs)`` (scores, graph attached in training mode),
``get_loss(examples, scores)``, ``set_annotations(docs, scores)``, ``score`` and, if
they have labels, ``_labels_from_examples``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from treadle.errors import DataError, PipelineError, SerializationError
from treadle.ml.device import get_current_device
from treadle.ml.dropout import set_dropout_rate
from treadle.ml.modules import load_state, output_layer
from treadle.pipeline._internal.pipe import Pipe
from treadle.pipeline._internal.serialize import RAW, Part
from treadle.util import batched

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.ml.optimizers import Optimizer
    from treadle.tokens import Doc, Vocab
    from treadle.tokens.example import Example

MODEL_FILE = "model.safetensors"


class TrainablePipe(Pipe):
    """A component whose ``model`` (a torch ``nn.Module`` built by a registered
    architecture) is trained from Examples."""

    model: torch.nn.Module | None = None

    def __init__(self, vocab: Vocab, model: torch.nn.Module | None, name: str = "", **cfg: Any) -> None:
        super().__init__(name, **cfg)
        self.vocab = vocab
        if isinstance(model, torch.nn.Module):
            # Architectures build on the CPU; the pipeline runs where require_gpu put it.
            model.to(get_current_device())
        self.model = model
        self.cfg.setdefault("labels", [])
        self._initialized = False

    def _not_yet(self, method: str) -> NotImplementedError:
        return NotImplementedError(
            f"{type(self).__name__}.{method} is not implemented (component {self.name!r})"
        )

    @property
    def is_trainable(self) -> bool:
        return True

    @property
    def is_initialized(self) -> bool:
        return self._initialized

    # ------------------------------------------------------------------ labels

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.cfg.get("labels", ()))

    @property
    def label_data(self) -> Any:
        """What ``treadle init labels`` saves and ``initialize(labels=...)`` takes back."""
        return list(self.labels)

    def add_label(self, label: str) -> int:
        """Add a label; 1 if it is new, 0 if known. After initialization the output layer
        grows by one row and the learned rows of the other labels are kept."""
        if not isinstance(label, str) or not label:
            raise PipelineError(f"Component {self.name!r}: a label must be a non-empty string, got {label!r}")
        if label in self.labels:
            return 0
        if self.model is None:
            raise self._not_yet("add_label")
        self.vocab.strings.add(label)
        self.cfg["labels"] = [*self.labels, label]
        if self._initialized:
            self._resize_output(len(self.labels))
        return 1

    def _resize_output(self, n: int) -> None:
        layer = output_layer(self.model)
        if layer is None:
            raise PipelineError(
                f"Component {self.name!r}: its model has no resizable output layer for {n} labels"
            )
        if getattr(layer, "nO", None) != n:
            layer.resize_output(n)

    def _labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        """The labels found in the reference Docs (components with labels override)."""
        return []

    # ------------------------------------------------------------------ initialization

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        labels: Iterable[str] | None = None,
        **settings: Any,
    ) -> None:
        """Take the labels (given, else read from the examples), size the output layer."""
        if self.model is None:
            raise self._not_yet("initialize")
        if labels is not None:
            found = list(labels.keys() if isinstance(labels, dict) else labels)
        elif get_examples is not None:
            if not callable(get_examples):
                raise PipelineError(
                    f"Component {self.name!r}: initialize(get_examples=...) expects a function "
                    f"returning Examples, got {type(get_examples).__name__}"
                )
            found = self._labels_from_examples(_check_examples(get_examples(), self.name))
        else:
            found = []
        for label in found:
            self.add_label(label)
        if self._needs_labels() and not self.labels:
            raise DataError(
                f"Component {self.name!r} found no labels: give examples with annotation "
                f"for it, or labels in [initialize.components.{self.name}]"
            )
        if self._needs_labels():
            self._resize_output(len(self.labels))
        self._initialized = True

    def _needs_labels(self) -> bool:
        return True

    # ------------------------------------------------------------------ running

    def _forward(self, docs: list[Doc]) -> Any:
        """The model's scores for ``docs`` (graph recorded when grad is enabled)."""
        raise self._not_yet("_forward")

    def predict(self, docs: list[Doc]) -> Any:
        """Scores for ``docs`` in eval mode (dropout off), no graph."""
        if self.model is None:
            raise self._not_yet("predict")
        if not self._initialized and self._needs_labels() and not self.labels:
            raise PipelineError(
                f"Component {self.name!r} is not initialized: call nlp.initialize() (or train "
                "it) before using it"
            )
        self.model.eval()
        # no_grad rather than inference_mode: outputs handed to listeners may meet
        # trainable weights downstream, which inference tensors can't.
        with torch.no_grad():
            return self._forward(docs)

    def set_annotations(self, docs: list[Doc], scores: Any) -> None:
        raise self._not_yet("set_annotations")

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for batch in batched(docs, batch_size):
            self.set_annotations(batch, self.predict(batch))
            yield from batch

    # ------------------------------------------------------------------ training

    def get_loss(self, examples: list[Example], scores: Any) -> torch.Tensor | None:
        raise self._not_yet("get_loss")

    def forward_loss(
        self, examples: Iterable[Example], *, drop: float = 0.0, set_annotations: bool = False
    ) -> torch.Tensor | None:
        """Training-mode forward over the predicted Docs; the loss with its graph, or
        None when the batch carries no annotation for this component."""
        examples = _check_examples(examples, self.name)
        if self.model is None:
            raise self._not_yet("forward_loss")
        docs = [eg.predicted for eg in examples]
        self.model.train()
        set_dropout_rate(self.model, drop)
        scores = self._forward(docs)
        loss = self.get_loss(examples, scores)
        if set_annotations:
            self.set_annotations(docs, _detach(scores))
        return loss

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optimizer | None = None,
        losses: dict[str, float] | None = None,
    ) -> dict[str, float]:
        """One training step for this component alone: loss, backward, optimizer step."""
        losses = {} if losses is None else losses
        loss = self.forward_loss(examples, drop=drop)
        losses.setdefault(self.name, 0.0)
        if loss is not None:
            loss.backward()
            losses[self.name] += float(loss.detach())
        if sgd is not None:
            self.finish_update(sgd)
        return losses

    def parameters_for_optimizer(self) -> list[tuple[str, torch.Tensor]]:
        """``("<component name>.<parameter name>", parameter)`` for every trainable weight."""
        if self.model is None:
            return []
        return [(f"{self.name}.{n}", p) for n, p in self.model.named_parameters() if p.requires_grad]

    # Lets ``optimizer.use_params(component)`` (averaged weights) find the same keys.
    keyed_params = parameters_for_optimizer

    def finish_update(self, sgd: Optimizer) -> None:
        """Apply the accumulated gradients with ``sgd``, then clear them."""
        params = self.parameters_for_optimizer()
        sgd.step(params)
        for _, p in params:
            p.grad = None

    # ------------------------------------------------------------------ serialization

    def serialization_parts(self) -> dict[str, Part]:
        parts = super().serialization_parts()
        # The labels in cfg decide the output width the saved weights are read into.
        parts["cfg"] = replace(parts["cfg"], after=self._after_cfg)
        if self.model is not None:
            # Required: a folder without its weights would load as an untrained model,
            # and a save made before meta.json recorded hashes has no other check.
            parts["model"] = Part(
                MODEL_FILE, self._weights_bytes, self._load_model, codec=RAW, required=True
            )
        return parts

    def _weights_bytes(self) -> bytes:
        state = {k: v.detach().cpu().contiguous().clone() for k, v in self.model.state_dict().items()}
        return st_save(state, metadata={"treadle_component": self.name})

    def _load_model(self, data: bytes, where: str) -> None:
        try:
            loaded = st_load(data)
        except Exception as err:
            raise SerializationError(f"{where}: could not read the weights: {err}") from err
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        loaded = {k: v.to(device) for k, v in loaded.items()}
        # cfg (read first) sized the output for the labels; weights of another width
        # would pair rows with the wrong labels, or index past them.
        has_output = self._needs_labels() and output_layer(self.model) is not None
        # A lazy output layer (no labels in cfg) has no width yet: 0 rows.
        expected = (self._output_width() or 0) if has_output else None
        load_state(self.model, loaded, where=where)
        if expected is not None and (self._output_width() or 0) != expected:
            raise SerializationError(
                f"{where}: the weights have an output width of {self._output_width()}, but "
                f"component {self.name!r} has {len(self.labels)} labels in its cfg (output "
                f"width {expected}): the saved files do not belong together."
            )
        self._initialized = True

    def _output_width(self) -> int | None:
        layer = output_layer(self.model) if self.model is not None else None
        width = getattr(layer, "nO", None) if layer is not None else None
        return int(width) if width is not None else None

    def _after_cfg(self, where: str) -> None:
        """Once cfg is read back (or kept): state derived from the labels."""
        check_label_list(self.cfg.get("labels", []), where)
        for label in self.labels:
            self.vocab.strings.add(label)
        if self._needs_labels() and self.labels:
            self._resize_output(len(self.labels))


def check_label_list(labels: Any, where: str, item: type = str) -> None:
    """A saved cfg's ``labels`` must be a list of ``item``s: anything else would load as
    other labels (a string as its characters) or fail later, far from the file."""
    if not isinstance(labels, list | tuple) or not all(
        isinstance(x, item) and not isinstance(x, bool) for x in labels
    ):
        raise SerializationError(
            f"{where}: 'labels' must be a list of {item.__name__}, got {str(labels)[:80]!r}"
        )


def _check_examples(examples: Iterable[Any], name: str) -> list[Example]:
    out = list(examples)
    for i, eg in enumerate(out):
        if not hasattr(eg, "predicted") or not hasattr(eg, "reference"):
            raise DataError(
                f"Component {name!r} expects Example objects, got {type(eg).__name__} at "
                f"position {i}. Build them with Example.from_dict(nlp.make_doc(text), annots)."
            )
    return out


def _detach(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach()
    if isinstance(x, list | tuple):
        return type(x)(_detach(v) for v in x)
    if isinstance(x, dict):
        return {k: _detach(v) for k, v in x.items()}
    if hasattr(x, "detach") and callable(x.detach):
        return x.detach()
    return x
