"""The upstream side of the shared-embedding listener protocol, shared by the
``tok2vec`` and ``transformer`` components.

An upstream component computes its outputs once per batch and hands them to every
listener module (``listener.receive(batch_id, outputs)``) found in the later
components' models; the listeners return them to their own model, so one backward
pass over the summed losses reaches the upstream's weights.

Listeners are found by duck typing, not by class: a listener module declares which
kind of upstream it listens to (``listens_to = "tok2vec"`` or ``"transformer"``) and
its ``upstream_name`` (a component name, or ``"*"`` for the nearest upstream of that
kind before it). That keeps this module free of the listener classes, which live in
layers of their own (``treadle.ml.layers.listener``, ``treadle.transformers``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from treadle.ml.dropout import set_dropout_rate
from treadle.pipeline._internal.trainable import _check_examples

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc
    from treadle.tokens.example import Example


def batch_id(docs: Sequence[Doc]) -> tuple[int, ...]:
    """Identity of a batch: the ids of its Doc objects, in order."""
    return tuple(id(doc) for doc in docs)


class ListenedTo:
    """Mixin for a pipeline component that listener modules listen to.

    Subclasses set ``listener_kind`` (what their listeners' ``listens_to`` says) and
    call ``_init_listeners(nlp)`` in ``__init__``; ``name`` is the component's name.
    Such a component has no labels, loss or scores of its own: its listeners' losses
    train it.
    """

    listener_kind: str = ""
    name: str

    def _needs_labels(self) -> bool:
        return False

    @property
    def labels(self) -> tuple[str, ...]:
        return ()

    def add_label(self, label: str) -> int:
        raise NotImplementedError(f"Component {self.name!r} ({self.listener_kind}) has no labels")

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        labels: Iterable[str] | None = None,
        **settings: Any,
    ) -> None:
        if nlp is not None:
            self.find_listeners(nlp)
        self._initialized = True

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        return {}

    # --- one batch: computed once, kept on the Docs, handed to the listeners ---

    def _keep_outputs(self, docs: list[Doc], outputs: Any, *, annotate: bool) -> None:
        """Write a batch's outputs onto its Docs; ``annotate``: any extra annotations
        too (in training, only for an annotating component)."""
        raise NotImplementedError

    def set_annotations(self, docs: list[Doc], outputs: Any) -> None:
        self._keep_outputs(docs, outputs, annotate=True)
        self._broadcast(docs, outputs)

    def forward_loss(
        self, examples: Iterable[Example], *, drop: float = 0.0, set_annotations: bool = False
    ) -> None:
        """Run the model with grad, keep its outputs on the Docs and hand them to the
        listeners. No loss: the gradients come back through the listeners."""
        examples = _check_examples(examples, self.name)
        docs = [eg.predicted for eg in examples]
        self.model.train()
        set_dropout_rate(self.model, drop)
        outputs = self._forward(docs)
        self._keep_outputs(docs, outputs, annotate=set_annotations)
        self._broadcast(docs, outputs)

    def _init_listeners(self, nlp: Language | None) -> None:
        self._nlp_ref: weakref.ref[Language] | None = weakref.ref(nlp) if nlp is not None else None
        self._listener_key: Any = None
        self._listener_map: dict[str, list[torch.nn.Module]] = {}

    def find_listeners(self, nlp: Language | None = None) -> dict[str, list[torch.nn.Module]]:
        """Find this component's listeners in ``nlp`` (by default the pipeline it was
        created for), by component name. Cheap when the pipeline did not change."""
        if nlp is not None:
            self._nlp_ref = weakref.ref(nlp)
        nlp = self._nlp_ref() if self._nlp_ref is not None else None
        if nlp is None:
            return self._listener_map
        comps = nlp.components
        key = tuple((n, id(c), id(getattr(c, "model", None))) for n, c in comps)
        if key == self._listener_key:
            return self._listener_map
        found: dict[str, list[torch.nn.Module]] = {}
        nearest: Any = None  # the last upstream of this kind seen so far
        for comp_name, comp in comps:
            model = getattr(comp, "model", None)
            if comp is not self and isinstance(model, torch.nn.Module) and nearest is not None:
                for sub in model.modules():
                    if getattr(sub, "listens_to", None) != self.listener_kind:
                        continue
                    up = getattr(sub, "upstream_name", None)
                    if up == self.name or (up == "*" and nearest is self):
                        found.setdefault(comp_name, []).append(sub)
            if getattr(comp, "listener_kind", None) == self.listener_kind:
                nearest = comp
        self._listener_key = key
        self._listener_map = found
        for group in found.values():
            for lst in group:
                self._on_listener_found(lst)
        return found

    def _on_listener_found(self, listener: torch.nn.Module) -> None:
        """Hook: a listener was found (the transformer tells it its width)."""

    @property
    def listeners(self) -> list[torch.nn.Module]:
        return [lst for group in self.find_listeners().values() for lst in group]

    @property
    def listening_components(self) -> list[str]:
        return list(self.find_listeners())

    def add_listener(self, listener: torch.nn.Module, component_name: str) -> None:
        """Register a listener by hand (e.g. a model built outside the pipeline)."""
        group = self._listener_map.setdefault(component_name, [])
        if listener not in group:
            group.append(listener)
            self._on_listener_found(listener)

    def clear_listeners(self) -> None:
        """Drop the batch the listeners hold (frees the graph after a backward pass)."""
        for lst in self.listeners:
            lst.clear()

    def _broadcast(self, docs: Sequence[Doc], outputs: Any) -> None:
        bid = batch_id(docs)
        for lst in self.listeners:
            lst.receive(bid, outputs)
