"""The factory table: how a component is declared, found and described.

A *factory* is a function ``f(nlp, name, **settings) -> component`` registered under a
name with :func:`factory` (or a plain ``Doc -> Doc`` function with :func:`component`).
Its settings are ordinary registered-function arguments: ``Language`` creates a
component by resolving the block ``{"@factories": name, "nlp": nlp, "name": ...,
**settings}`` with ``treadle.config``, which fills ``default_config``, validates the
settings against the signature and builds nested blocks, as for any other section.

Besides the function, a factory declares what the pipeline needs to know without
building it (:class:`FactoryMeta`): the attributes it assigns and requires, and its
default score weights. This module depends on ``treadle.config`` only, so components
register themselves without importing ``Language`` (``Language.factory`` and
``Language.component`` are aliases of the functions here).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from treadle.config import registry
from treadle.errors import PipelineError
from treadle.util import get_closest

if TYPE_CHECKING:
    from treadle.language import Language

F = TypeVar("F", bound=Callable[..., Any])

# The package whose public modules are the built-in components, one factory each.
BUILTIN_PACKAGE = "treadle.pipeline"


@dataclass
class FactoryMeta:
    """What a factory declared when it was registered."""

    factory: str
    func: Callable[..., Any]
    default_config: dict[str, Any] = field(default_factory=dict)
    assigns: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    retokenizes: bool = False
    default_score_weights: dict[str, float | None] = field(default_factory=dict)


_FACTORY_META: dict[str, FactoryMeta] = {}

# The pipeline a component is being created for, while its config block resolves: a
# nested model block (a transformer listener) can read the components already built
# before it, e.g. the upstream transformer's width, which only its model knows.
_BUILDING: ContextVar[Language | None] = ContextVar("treadle_pipeline_being_built", default=None)
# The name of that component, so a model block can find the component's saved folder.
_BUILDING_NAME: ContextVar[str | None] = ContextVar("treadle_component_being_built", default=None)
# The saved pipeline folder ``treadle.load`` is building from. Components are built
# from config.cfg before their folders are read, so a model that can't be built from
# its config alone (a transformer whose ``name`` folder may be gone) reads its saved
# files from here instead.
_LOADING_FROM: ContextVar[Path | None] = ContextVar("treadle_pipeline_loading_from", default=None)


@contextlib.contextmanager
def building_component_for(nlp: Language, name: str | None = None) -> Iterator[None]:
    """While component ``name`` for ``nlp`` is created (``Language`` wraps the resolve)."""
    token = _BUILDING.set(nlp)
    name_token = _BUILDING_NAME.set(name)
    try:
        yield
    finally:
        _BUILDING_NAME.reset(name_token)
        _BUILDING.reset(token)


def pipeline_being_built() -> Language | None:
    """The ``nlp`` a component is being created for right now, if any."""
    return _BUILDING.get()


@contextlib.contextmanager
def loading_pipeline_from(path: Path) -> Iterator[None]:
    """While ``treadle.load`` builds the pipeline saved in ``path`` from its config."""
    token = _LOADING_FROM.set(path)
    try:
        yield
    finally:
        _LOADING_FROM.reset(token)


def saved_component_folder() -> Path | None:
    """The saved folder of the component being built, when ``treadle.load`` builds it
    and the folder exists; None otherwise (a fresh pipeline, or nothing was saved)."""
    root, name = _LOADING_FROM.get(), _BUILDING_NAME.get()
    if root is None or name is None:
        return None
    folder = root / name
    return folder if folder.is_dir() else None


_BUILTIN_IMPORT_ERRORS: dict[str, str] = {}
_builtins_loaded = False


def factory(
    name: str,
    *,
    default_config: Mapping[str, Any] | None = None,
    assigns: Iterable[str] = (),
    requires: Iterable[str] = (),
    retokenizes: bool = False,
    default_score_weights: Mapping[str, float | None] | None = None,
    func: Callable[..., Any] | None = None,
) -> Any:
    """Register a component factory ``f(nlp, name, **settings) -> component``.

    ``default_config`` gives the settings used when a config leaves them out (nested
    blocks merge key by key unless the config calls another function); the function's
    own keyword defaults fill anything else. Usable as a decorator.
    """
    if not isinstance(name, str) or not name:
        raise PipelineError("Language.factory needs a non-empty string name.")

    def add_factory(factory_func: F) -> F:
        if not callable(factory_func):
            raise PipelineError(f"Factory {name!r}: {factory_func!r} is not callable.")
        params = _signature_params(factory_func)
        if params is not None:
            missing = [p for p in ("nlp", "name") if p not in params]
            if missing:
                raise PipelineError(
                    f"Factory {name!r}: the function must take the arguments 'nlp' and "
                    f"'name' (missing: {', '.join(missing)})."
                )
        defaults = copy.deepcopy(dict(default_config or {}))
        _FACTORY_META[name] = FactoryMeta(
            factory=name,
            func=factory_func,
            default_config=defaults,
            assigns=tuple(assigns),
            requires=tuple(requires),
            retokenizes=retokenizes,
            default_score_weights=dict(default_score_weights or {}),
        )
        registry.factories.register(name, func=factory_func, defaults=defaults)
        return factory_func

    return add_factory(func) if func is not None else add_factory


def component(
    name: str,
    *,
    assigns: Iterable[str] = (),
    requires: Iterable[str] = (),
    retokenizes: bool = False,
    func: Callable[..., Any] | None = None,
) -> Any:
    """Register a plain function ``Doc -> Doc`` (or a stateless callable object) as a
    component with no settings. Usable as a decorator; returns the function."""

    def add_component(component_func: F) -> F:
        if not callable(component_func):
            raise PipelineError(f"Component {name!r}: {component_func!r} is not callable.")

        def component_factory(nlp: Language, name: str) -> Callable[..., Any]:
            return component_func

        component_factory.__name__ = f"make_{getattr(component_func, '__name__', name)}"
        factory(
            name,
            assigns=assigns,
            requires=requires,
            retokenizes=retokenizes,
            func=component_factory,
        )
        return component_func

    return add_component(func) if func is not None else add_component


def has_factory(name: str) -> bool:
    if name in _FACTORY_META or name in registry.factories:
        return True
    load_builtin_components()
    return name in _FACTORY_META or name in registry.factories


def get_factory_meta(name: str) -> FactoryMeta:
    """The declaration of factory ``name``; the error lists close matches."""
    if not has_factory(name):
        known = set(_FACTORY_META) | set(registry.factories.get_all())
        close = get_closest(name, known)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        failed = _BUILTIN_IMPORT_ERRORS
        note = (
            " (These component modules failed to import: "
            + "; ".join(f"{m}: {e}" for m, e in failed.items())
            + ")"
            if failed
            else ""
        )
        raise PipelineError(
            f"Can't find a component factory named {name!r}.{hint} Registered factories: "
            f"{', '.join(sorted(known)) or '(none)'}. Register your own with "
            f"@Language.factory or @Language.component.{note}"
        )
    if name not in _FACTORY_META:
        # Registered straight into registry.factories (e.g. by an entry point): its
        # keyword defaults are its default config.
        _FACTORY_META[name] = FactoryMeta(factory=name, func=registry.factories.get(name))
    return _FACTORY_META[name]


def load_builtin_components() -> None:
    """Import every public module of ``treadle.pipeline`` once, so its factory registers.

    A module that fails to import is noted (the unknown-factory error reports it)
    rather than breaking every other component.
    """
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    package = importlib.import_module(BUILTIN_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.ispkg or info.name == "factories":
            continue
        module = f"{BUILTIN_PACKAGE}.{info.name}"
        try:
            importlib.import_module(module)
        except Exception as err:  # noqa: BLE001 - reported by get_factory_meta
            _BUILTIN_IMPORT_ERRORS[module] = f"{type(err).__name__}: {err}"


def _signature_params(func: Callable[..., Any]) -> dict[str, inspect.Parameter] | None:
    try:
        return dict(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None


__all__ = [
    "FactoryMeta",
    "component",
    "factory",
    "get_factory_meta",
    "has_factory",
    "load_builtin_components",
    "loading_pipeline_from",
    "saved_component_folder",
]
