"""The component protocol every pipeline component follows.

A component is any callable ``Doc -> Doc``. The :class:`Language` object also uses,
when a component has them:

- ``pipe(docs, *, batch_size=...)``: process a stream of Docs; gets whole batches, so a
  neural component can run one forward pass per batch. Must yield Docs in order.
- ``initialize(get_examples=None, *, nlp=None, **settings)``: set up labels and weights
  before training; ``get_examples`` is a no-argument callable returning Examples.
- ``score(examples, **kwargs) -> dict``: evaluation metrics for the component.
- ``to_disk(path, *, exclude=())`` / ``from_disk(path, *, exclude=())`` and
  ``to_bytes`` / ``from_bytes``: save and restore what the config alone cannot rebuild
  (settings changed after creation, labels, weights). ``to_disk`` writes a folder.
  :class:`Pipe` implements all four from the parts a component declares in
  ``serialization_parts()`` (treadle/pipeline/_internal/serialize.py).
- ``update(examples, *, drop, sgd, losses)`` for trainable components (issue 5).

:class:`Pipe` gives the rule-based subset with sensible defaults; its settings live in
``self.cfg`` (a JSON-serialisable dict) and are saved as ``cfg.json``.
:class:`TrainablePipe` (treadle/pipeline/_internal/trainable.py) adds training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from treadle.errors import SerializationError
from treadle.pipeline._internal.serialize import (
    Part,
    load_parts,
    pack_parts,
    save_parts,
    unpack_parts,
)

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc
    from treadle.tokens.example import Example

CFG_FILE = "cfg.json"

_P = TypeVar("_P", bound="Pipe")


class Pipe:
    """Base of treadle's components. Subclasses implement ``__call__``."""

    name: str = ""
    cfg: dict[str, Any]

    def __init__(self, name: str = "", **cfg: Any) -> None:
        self.name = name
        self.cfg = dict(cfg)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def __call__(self, doc: Doc) -> Doc:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Process a stream of Docs. The default calls the component on each."""
        for doc in docs:
            yield self(doc)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        **settings: Any,
    ) -> None:
        """Rule-based components need no initialization by default."""
        return None

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} {self.name!r} has no score method")

    # --- settings: subclasses that keep settings in attributes override these two ---

    def get_cfg(self) -> dict[str, Any]:
        """The settings saved with the component (JSON-serialisable)."""
        return dict(self.cfg)

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        """Restore settings read back by ``from_disk``/``from_bytes``."""
        self.cfg.update(cfg)

    # --- serialisation: components declare their parts, these four methods save them ---

    @property
    def _desc(self) -> str:
        """How error messages name the component."""
        return f"component {self.name!r}"

    def serialization_parts(self) -> dict[str, Part]:
        """The named parts saved by ``to_disk``/``to_bytes``, in the order they are read
        back. ``exclude`` takes these names. Subclasses add to the base's parts."""
        return {"cfg": Part(CFG_FILE, self.get_cfg, self._load_cfg)}

    def _load_cfg(self, cfg: Any, where: str) -> None:
        if not isinstance(cfg, dict):
            raise SerializationError(
                f"{where}: expected a JSON object of settings, got {type(cfg).__name__}"
            )
        self.set_cfg(cfg)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the parts not in ``exclude`` as files in the folder ``path``."""
        save_parts(self.serialization_parts(), path, exclude)

    def from_disk(self: _P, path: str | Path, *, exclude: Iterable[str] = ()) -> _P:
        """Read back what ``to_disk`` saved; parts whose file is absent are kept as they are."""
        load_parts(self.serialization_parts(), path, exclude, self._desc)
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The parts not in ``exclude`` as one msgpack map keyed by part name."""
        return pack_parts(self.serialization_parts(), exclude)

    def from_bytes(self: _P, data: bytes, *, exclude: Iterable[str] = ()) -> _P:
        unpack_parts(self.serialization_parts(), data, exclude, self._desc)
        return self


__all__ = ["CFG_FILE", "Part", "Pipe"]
