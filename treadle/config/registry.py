"""Function registries: named categories of functions a config can call.

``@registry.architectures("treadle.Tok2Vec.v1")`` registers; a config block with
``@architectures = "treadle.Tok2Vec.v1"`` calls it. Third-party packages register
through the entry-point group ``treadle_<category>``, read lazily the first time a
name is missing from the in-process table.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
from collections.abc import Callable
from importlib import metadata
from typing import Any, TypeVar

from treadle.config import resolve as resolve_mod
from treadle.errors import RegistryError

F = TypeVar("F", bound=Callable[..., Any])

CATEGORIES: tuple[str, ...] = (
    "architectures",
    "layers",
    "factories",
    "optimizers",
    "schedules",
    "losses",
    "batchers",
    "readers",
    "loggers",
    "callbacks",
    "initializers",
    "tokenizers",
    "languages",
    "vectors",
    "scorers",
    "span_getters",
    "annotation_setters",
    "augmenters",
    "lookups",
    "misc",
)


class Registry:
    """One category of registered functions."""

    def __init__(self, category: str, *, on_miss: Callable[[], None] | None = None) -> None:
        self.category = category
        self.entry_point_group = f"treadle_{category}"
        self._table: dict[str, Callable[..., Any]] = {}
        # Nested default arguments a function declared beside its signature (a
        # component factory's default_config); fill and resolve merge them under a block.
        self._defaults: dict[str, dict[str, Any]] = {}
        self._entry_points_loaded = False
        # Called once when a name is missing: imports treadle's own modules, so a
        # built-in function is found without its module having been imported first.
        self._on_miss = on_miss

    def __repr__(self) -> str:
        return f"<Registry {self.category!r} ({len(self._table)} functions)>"

    def __call__(self, name: str, func: F | None = None) -> Any:
        """Register ``func`` under ``name``; without ``func``, act as a decorator."""
        if func is not None:
            return self.register(name, func=func)

        def decorator(f: F) -> F:
            self.register(name, func=f)
            return f

        return decorator

    def register(
        self, name: str, *, func: F, defaults: dict[str, Any] | None = None
    ) -> F:
        """Register ``func`` under ``name``. ``defaults``: default arguments, possibly
        nested blocks, that a config leaving them out gets (beyond the signature's)."""
        if not isinstance(name, str) or not name:
            raise RegistryError(f"registry.{self.category}: a name must be a non-empty string.")
        if not callable(func):
            raise RegistryError(f"registry.{self.category}: {name!r} is not callable.")
        self._table[name] = func
        if defaults:
            self._defaults[name] = defaults
        else:
            self._defaults.pop(name, None)
        return func

    def get_defaults(self, name: str) -> dict[str, Any]:
        """The default arguments ``name`` was registered with (``{}`` if none)."""
        return self._defaults.get(name, {})

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in metadata.entry_points(group=self.entry_point_group):
            if ep.name not in self._table:
                self._table[ep.name] = _LazyEntryPoint(ep)

    def __contains__(self, name: object) -> bool:
        if name in self._table:
            return True
        if self._on_miss is not None:
            self._on_miss()
            if name in self._table:
                return True
        self._load_entry_points()
        return name in self._table

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self:
            close = difflib.get_close_matches(name, list(self._table), n=5, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            available = ", ".join(sorted(self._table)) or "(none)"
            raise RegistryError(
                f"Can't find {name!r} in registry.{self.category}.{hint} Registered: {available}."
            )
        func = self._table[name]
        if isinstance(func, _LazyEntryPoint):
            func = func.load()
            self._table[name] = func
        return func

    def get_all(self) -> dict[str, Callable[..., Any]]:
        if self._on_miss is not None:
            self._on_miss()
        self._load_entry_points()
        return {name: self.get(name) for name in list(self._table)}

    def find(self, name: str) -> dict[str, Any]:
        """Where a registered function lives, for ``debug config --show-functions``."""
        func = self.get(name)
        code = getattr(func, "__code__", None)
        return {
            "module": getattr(func, "__module__", None),
            "file": code.co_filename if code else None,
            "line_no": code.co_firstlineno if code else None,
            "docstring": (func.__doc__ or "").strip().split("\n")[0] or None,
        }


class _LazyEntryPoint:
    def __init__(self, ep: metadata.EntryPoint) -> None:
        self.ep = ep

    def load(self) -> Callable[..., Any]:
        return self.ep.load()


BUILTIN_MODULES: tuple[str, ...] = (
    "treadle.lang",
    "treadle.ml",
    "treadle.pipeline.factories:load_builtin_components",
    "treadle.training",
    "treadle.transformers",
)
"""What registers treadle's built-in functions, run on the first miss: modules to
import, or ``module:function`` to import and call (the components are found by
scanning their package, so that a new component module needs no list entry)."""


class Registries:
    """``treadle.registry``: attribute access to each category, plus resolve/fill.

    ``builtin_modules`` are imported the first time any category misses a name, so
    ``registry.get("optimizers", "Adam.v1")`` works before ``treadle.ml`` was imported.
    """

    def __init__(self, *, builtin_modules: tuple[str, ...] = ()) -> None:
        self._categories: dict[str, Registry] = {}
        self._builtin_modules = builtin_modules
        self._builtins_loaded = not builtin_modules
        for name in CATEGORIES:
            self.create(name)

    def _load_builtins(self) -> None:
        if self._builtins_loaded:
            return
        self._builtins_loaded = True
        for entry in self._builtin_modules:
            module, _, hook = entry.partition(":")
            # Only modules that exist: the package grows one layer at a time.
            if importlib.util.find_spec(module) is not None:
                loaded = importlib.import_module(module)
                if hook:
                    getattr(loaded, hook)()

    def create(self, name: str) -> Registry:
        if name in self._categories:
            return self._categories[name]
        reg = Registry(name, on_miss=self._load_builtins)
        self._categories[name] = reg
        return reg

    def has(self, category: str) -> bool:
        return category in self._categories

    def get_registry(self, category: str) -> Registry:
        if category not in self._categories:
            close = difflib.get_close_matches(category, list(self._categories), n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise RegistryError(f"Unknown registry category {category!r}.{hint}")
        return self._categories[category]

    def get(self, category: str, name: str) -> Callable[..., Any]:
        return self.get_registry(category).get(name)

    @property
    def categories(self) -> list[str]:
        return list(self._categories)

    def __getattr__(self, name: str) -> Registry:
        cats = self.__dict__.get("_categories", {})
        if name in cats:
            return cats[name]
        raise AttributeError(f"treadle.registry has no category {name!r}")

    def resolve(self, config: Any, *, validate: bool = True, schema: Any = None) -> dict[str, Any]:
        """Call every ``@`` block of ``config`` bottom-up; see ``treadle.config.resolve``."""
        return resolve_mod.resolve(config, validate=validate, registry=self, schema=schema)

    def resolve_at(self, path: str, value: Any, *, validate: bool = True) -> Any:
        """Resolve ``value`` as the part of a config at dotted ``path``."""
        return resolve_mod.resolve_at(path, value, validate=validate, registry=self)

    def fill(self, config: Any, *, validate: bool = True, schema: Any = None) -> Any:
        """``config`` with every function default written in; see ``treadle.config.resolve``."""
        return resolve_mod.fill(config, validate=validate, registry=self, schema=schema)


registry = Registries(builtin_modules=BUILTIN_MODULES)
