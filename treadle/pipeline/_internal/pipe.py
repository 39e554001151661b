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
- ``update(examples, *, drop, sgd, losses)`` for trainable components (issue 5).

:class:`Pipe` gives the rule-based subset with sensible defaults; its settings live in
``self.cfg`` (a JSON-serialisable dict) and are saved as ``cfg.json``.
:class:`TrainablePipe` (treadle/pipeline/_internal/trainable.py) adds training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from treadle.util import ensure_path, read_json, write_json

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc

CFG_FILE = "cfg.json"


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
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        **settings: Any,
    ) -> None:
        """Rule-based components need no initialization by default."""
        return None

    def score(self, examples: Iterable[Any], **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} {self.name!r} has no score method")

    # --- settings: subclasses that keep settings in attributes override these two ---

    def get_cfg(self) -> dict[str, Any]:
        """The settings saved with the component (JSON-serialisable)."""
        return dict(self.cfg)

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        """Restore settings read back by ``from_disk``/``from_bytes``."""
        self.cfg.update(cfg)

    # --- serialisation ---

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        if "cfg" not in exclude:
            write_json(path / CFG_FILE, self.get_cfg())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Pipe:
        path = ensure_path(path)
        cfg_path = path / CFG_FILE
        if "cfg" not in exclude and cfg_path.exists():
            self.set_cfg(read_json(cfg_path))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        data: dict[str, Any] = {}
        if "cfg" not in exclude:
            data["cfg"] = self.get_cfg()
        return msgpack.packb(data, use_bin_type=True)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> Pipe:
        msg = msgpack.unpackb(data, raw=False)
        if "cfg" not in exclude and "cfg" in msg:
            self.set_cfg(msg["cfg"])
        return self


# The real implementation lives in its own module; imported last because it
# subclasses Pipe (defined above).
from treadle.pipeline._internal.trainable import TrainablePipe  # noqa: E402

__all__ = ["CFG_FILE", "Pipe", "TrainablePipe"]
