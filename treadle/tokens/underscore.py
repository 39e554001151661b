"""User extension attributes: ``Doc.set_extension("x", default=...)`` and ``doc._.x``.

Values set through ``_`` live in ``doc.user_data`` under the key
``("._.", name, start_char, end_char)`` (``None`` for the Doc itself, ``end_char``
``None`` for a Token), so they travel with the Doc through copy and DocBin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from treadle.errors import TreadleError

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc
    from treadle.tokens.span import Span
    from treadle.tokens.token import Token

_UNSET: Any = object()


class ExtensionRegistry(dict):
    """name -> (default, method, getter, setter) for one class (Doc, Token or Span)."""

    def __init__(self, owner: str) -> None:
        super().__init__()
        self.owner = owner

    def set(
        self,
        name: str,
        *,
        default: Any = _UNSET,
        method: Callable | None = None,
        getter: Callable | None = None,
        setter: Callable | None = None,
        force: bool = False,
    ) -> None:
        if name in self and not force:
            raise TreadleError(
                f"Extension {name!r} is already registered on {self.owner}; "
                "pass force=True to overwrite it"
            )
        given = sum([default is not _UNSET, method is not None, getter is not None])
        if given == 0:
            raise TreadleError(
                f"Extension {name!r} on {self.owner} needs exactly one of default=, getter= "
                "or method="
            )
        if given > 1:
            raise TreadleError(
                f"Extension {name!r} on {self.owner}: give only one of default=, getter= or method="
            )
        if setter is not None and getter is None:
            raise TreadleError(f"Extension {name!r} on {self.owner}: setter= needs a getter=")
        self[name] = (None if default is _UNSET else default, method, getter, setter)

    def lookup(self, name: str) -> tuple:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"{self.owner} has no extension {name!r}. Register it first with "
                f"{self.owner}.set_extension({name!r}, default=...)"
            ) from None


class Underscore:
    """The ``_`` namespace of one Doc, Token or Span."""

    __slots__ = ("_registry", "_obj", "_doc", "_start", "_end")

    def __init__(self, registry: ExtensionRegistry, obj: Doc | Span | Token, doc: Doc, start: int | None = None,
                 end: int | None = None) -> None:
        object.__setattr__(self, "_registry", registry)
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_doc", doc)
        object.__setattr__(self, "_start", start)
        object.__setattr__(self, "_end", end)

    def _key(self, name: str) -> tuple:
        return ("._.", name, self._start, self._end)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        default, method, getter, _setter = self._registry.lookup(name)
        if getter is not None:
            return getter(self._obj)
        if method is not None:
            return functools.partial(method, self._obj)
        return self._doc.user_data.get(self._key(name), default)

    def __setattr__(self, name: str, value: Any) -> None:
        _default, method, getter, setter = self._registry.lookup(name)
        if setter is not None:
            setter(self._obj, value)
        elif getter is not None or method is not None:
            raise AttributeError(
                f"Extension {name!r} of {self._registry.owner} has a getter or method and no "
                "setter, so it cannot be assigned"
            )
        else:
            self._doc.user_data[self._key(name)] = value

    def get(self, name: str) -> Any:
        return getattr(self, name)

    def set(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def has(self, name: str) -> bool:
        return name in self._registry

    def __dir__(self) -> list[str]:
        return list(self._registry)


class HasExtensions:
    """The ``set_extension`` family shared by Doc, Token and Span.

    Each subclass holds its own ``_extensions`` registry, so an extension set on
    Token is not visible on Span.
    """

    __slots__ = ()
    _extensions: ExtensionRegistry

    @classmethod
    def set_extension(cls, name: str, **kwargs: Any) -> None:
        cls._extensions.set(name, **kwargs)

    @classmethod
    def has_extension(cls, name: str) -> bool:
        return name in cls._extensions

    @classmethod
    def get_extension(cls, name: str) -> tuple | None:
        return cls._extensions.get(name)

    @classmethod
    def remove_extension(cls, name: str) -> tuple:
        return cls._extensions.pop(name)
