"""Resolve a config (call its registered functions) and fill in their defaults.

A block such as ``[training.optimizer]`` with ``@optimizers = "Adam.v1"`` is a call:
the function registered under that name, with the block's other keys as keyword
arguments. Blocks resolve bottom-up, so a block may be an argument of another.

Validation uses pydantic on each function's type hints: lax coercion ("1" -> 1 for
an ``int``), strict types (``StrictInt``) honoured, missing and unexpected arguments
reported. Every problem of a config is collected into one ``ConfigValidationError``.
Hints pydantic cannot check (a ``Protocol``, an unresolvable forward reference) are
skipped rather than failing.

``resolve`` validates in two passes: first everything that needs no call (literal
arguments, missing/extra arguments, section schemas), so no function runs on a config
that is known to be wrong; then, while calling, the objects returned by inner blocks
against the hints of the functions that receive them.

A ``"*"`` key inside a block holds positional arguments: ``[a.*.first]`` is a block
passed as the first positional argument of ``a``'s function (for ``*args``).
"""

from __future__ import annotations

import contextlib
import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from treadle.config.config import Config
from treadle.config.schemas import SECTION_SCHEMAS
from treadle.errors import ConfigError, ConfigValidationError, RegistryError

POSITIONAL_KEY = "*"
_ARB = ConfigDict(arbitrary_types_allowed=True)
_JSON_SCALARS = (str, int, float, bool, type(None))


class _Promise:
    """Stands in for a block's result when functions are not called (fill, pre-pass).

    Callable so that ``Callable`` hints and section schemas accept it.
    """

    def __init__(self, category: str, name: str) -> None:
        self.category, self.name = category, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never run
        raise ConfigError(f"@{self.category} {self.name!r} was not resolved")

    def __repr__(self) -> str:
        return f"<promise @{self.category} {self.name!r}>"


class _Failed:
    """The result of a block that failed validation: its parents are not called."""


_FAILED = _Failed()


@dataclass
class FunctionUse:
    """One call of a registered function in a config (``debug config --show-functions``)."""

    path: tuple[str, ...]
    category: str
    name: str
    func: Any


@dataclass
class _Param:
    name: str
    kind: Any
    default: Any
    hint: Any
    _adapter: Any = field(default=None, repr=False)
    _built: bool = field(default=False, repr=False)

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty and self.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        )

    def adapter(self) -> TypeAdapter[Any] | None:
        if not self._built:
            self._built = True
            self._adapter = _make_adapter(self.hint)
        return self._adapter


def _make_adapter(hint: Any) -> TypeAdapter[Any] | None:
    if hint is inspect.Parameter.empty or hint is Any or isinstance(hint, str):
        return None
    if getattr(hint, "_is_protocol", False) and not getattr(hint, "_is_runtime_protocol", False):
        return None
    for kwargs in ({"config": _ARB}, {}):
        try:
            return TypeAdapter(hint, **kwargs)
        except Exception:  # noqa: BLE001 - pydantic can't build a schema: skip the check
            continue
    return None


_Signature = tuple[dict[str, "_Param"], "_Param | None", "_Param | None"]
_SIGNATURES: dict[Any, _Signature] = {}


def _signature(func: Any) -> _Signature:
    """(named params, the **kwargs param, the *args param) of a registered function."""
    try:
        return _SIGNATURES[func]
    except (KeyError, TypeError):
        pass
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        # No introspectable signature (some builtins): accept anything.
        return ({}, _Param("kwargs", inspect.Parameter.VAR_KEYWORD, None, Any), None)
    target = func.__init__ if isinstance(func, type) else func
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable forward refs: check what we can
        hints = {}
    params: dict[str, _Param] = {}
    var_kw: _Param | None = None
    var_pos: _Param | None = None
    for p in sig.parameters.values():
        hint = hints.get(p.name, p.annotation)
        param = _Param(p.name, p.kind, p.default, hint)
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            var_kw = param
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            var_pos = param
        else:
            params[p.name] = param
    info = (params, var_kw, var_pos)
    with contextlib.suppress(TypeError):  # unhashable callables are not cached
        _SIGNATURES[func] = info
    return info


def _is_literal(value: Any) -> bool:
    """A value a config file can hold (JSON data)."""
    if isinstance(value, _JSON_SCALARS):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_literal(v) for k, v in value.items())
    return False


def _to_literal(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_to_literal(v) for v in value]
    if isinstance(value, list):
        return [_to_literal(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_literal(v) for k, v in value.items()}
    return value


def _function_key(block: Mapping[str, Any], path: tuple[str, ...]) -> str | None:
    keys = [k for k in block if isinstance(k, str) and k.startswith("@")]
    if len(keys) > 1:
        raise ConfigError(
            f"{'.'.join(path) or '(config)'}: a block can call only one registered function, "
            f"found {', '.join(keys)}"
        )
    return keys[0] if keys else None


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


class _Resolver:
    def __init__(self, registry: Any, *, validate: bool, call: bool) -> None:
        self.registry = registry
        self.validate = validate
        self.call = call
        self.errors: list[dict[str, Any]] = []
        self.used: list[FunctionUse] = []

    def node(self, value: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(value, Mapping):
            if _function_key(value, path) is not None:
                return self.block(value, path)
            return {k: self.node(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.node(v, (*path, i)) for i, v in enumerate(value)]
        return value

    def lookup(self, block: Mapping[str, Any], path: tuple[Any, ...]) -> tuple[str, str, Any]:
        fkey = _function_key(block, path)
        assert fkey is not None
        category, name = fkey[1:], block[fkey]
        if not isinstance(name, str):
            raise ConfigError(f"{_dotted((*path, fkey))}: expected a function name, got {name!r}")
        try:
            func = self.registry.get(category, name)
        except RegistryError as err:
            raise RegistryError(f"{_dotted((*path, fkey))}: {err}") from None
        return category, name, func

    def block(self, block: Mapping[str, Any], path: tuple[Any, ...]) -> Any:
        category, name, func = self.lookup(block, path)
        self.used.append(FunctionUse(tuple(path), category, name, func))
        kwargs: dict[str, Any] = {}
        from_blocks: set[str] = set()
        positional: list[Any] = []
        for key, value in block.items():
            if isinstance(key, str) and key.startswith("@"):
                continue
            if key == POSITIONAL_KEY and isinstance(value, Mapping):
                positional = [self.node(v, (*path, key, k)) for k, v in value.items()]
                continue
            if isinstance(value, Mapping) and _function_key(value, (*path, key)):
                from_blocks.add(key)
            kwargs[key] = self.node(value, (*path, key))
        failed = any(v is _FAILED for v in kwargs.values()) or any(v is _FAILED for v in positional)
        if self.validate:
            skip = {k for k, v in kwargs.items() if v is _FAILED or isinstance(v, _Promise)}
            if not self.call:
                skip |= from_blocks
            n_errors = len(self.errors)
            kwargs, positional = self.check(func, kwargs, positional, path, skip, from_blocks)
            failed = failed or len(self.errors) > n_errors
        if failed:
            return _FAILED
        if not self.call:
            return _Promise(category, name)
        return self.invoke(func, positional, kwargs, path, category, name)

    def invoke(
        self,
        func: Any,
        positional: list[Any],
        kwargs: dict[str, Any],
        path: tuple[Any, ...],
        category: str,
        name: str,
    ) -> Any:
        params, _, _ = _signature(func)
        # Positional-only parameters can't be passed by keyword.
        pos_only = [n for n, p in params.items() if p.kind is inspect.Parameter.POSITIONAL_ONLY]
        head = [kwargs.pop(n) for n in pos_only if n in kwargs]
        return func(*head, *positional, **kwargs)

    def check(
        self,
        func: Any,
        kwargs: dict[str, Any],
        positional: list[Any],
        path: tuple[Any, ...],
        skip: set[str],
        from_blocks: set[str],
    ) -> tuple[dict[str, Any], list[Any]]:
        params, var_kw, var_pos = _signature(func)
        out = dict(kwargs)
        for key in kwargs:
            if key not in params and var_kw is None:
                self.errors.append({"loc": [*path, key], "msg": "Extra inputs are not permitted"})
        for pname, param in params.items():
            if param.required and pname not in kwargs:
                self.errors.append({"loc": [*path, pname], "msg": "Field required"})
        if positional and var_pos is None:
            self.errors.append(
                {"loc": [*path, POSITIONAL_KEY], "msg": "The function takes no *args"}
            )
        for key, value in kwargs.items():
            if key in skip:
                continue
            param = params.get(key, var_kw)
            if param is None:
                continue
            checked = self.check_value(param, value, (*path, key))
            if key not in from_blocks:
                out[key] = checked
        new_pos = list(positional)
        if var_pos is not None:
            for i, value in enumerate(positional):
                if value is _FAILED or isinstance(value, _Promise):
                    continue
                self.check_value(var_pos, value, (*path, POSITIONAL_KEY, i))
        return out, new_pos

    def check_value(self, param: _Param, value: Any, loc: tuple[Any, ...]) -> Any:
        adapter = param.adapter()
        if adapter is None:
            return value
        try:
            coerced = adapter.validate_python(value)
        except ValidationError as err:
            for e in err.errors():
                self.errors.append({"loc": [*loc, *e["loc"]], "msg": e["msg"]})
            return value
        except (TypeError, AttributeError):
            # Pydantic built a schema it can't apply (e.g. isinstance on a generic).
            return value
        # Coerced literals are what the function gets ("1" -> 1); objects (and whatever a
        # block returned) pass through unchanged, so validation never swaps one out.
        return _to_literal(coerced) if _is_literal(value) and _is_literal(coerced) else value


def _check_sections(
    tree: Mapping[str, Any], schema: type[BaseModel] | None, errors: list[dict[str, Any]]
) -> None:
    def collect(model: type[BaseModel], data: Any, prefix: list[Any]) -> None:
        try:
            model.model_validate(data)
        except ValidationError as err:
            for e in err.errors():
                errors.append({"loc": [*prefix, *e["loc"]], "msg": e["msg"]})

    if schema is not None:
        collect(schema, dict(tree), [])
        return
    for name, model in SECTION_SCHEMAS.items():
        section = tree.get(name)
        if isinstance(section, Mapping) and _function_key(section, (name,)) is None:
            collect(model, dict(section), [name])


def _interpolated(config: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(config, Config) and not config.is_interpolated:
        return dict(config.interpolate())
    return dict(config)


def _raise(errors: list[dict[str, Any]], title: str) -> None:
    if errors:
        raise ConfigValidationError(errors, title=title)


def resolve(
    config: Mapping[str, Any],
    *,
    validate: bool = True,
    registry: Any = None,
    schema: type[BaseModel] | None = None,
) -> dict[str, Any]:
    """A plain dict: ``config`` with every ``@`` block replaced by its function's result.

    ``schema``: a pydantic model to validate the whole config against; without it the
    known top-level sections are validated against ``treadle.config.schemas``.
    """
    registry = registry if registry is not None else _default_registry()
    tree = _interpolated(config)
    if validate:
        pre = _Resolver(registry, validate=True, call=False)
        promised = pre.node(tree, ())
        _check_sections(promised, schema, pre.errors)
        _raise(pre.errors, "Config validation error")
    resolver = _Resolver(registry, validate=validate, call=True)
    result = resolver.node(tree, ())
    _raise(resolver.errors, "Config validation error (arguments built from the config)")
    return result


def used_functions(config: Mapping[str, Any], *, registry: Any = None) -> list[FunctionUse]:
    """Every registered function a config calls, with the block path that calls it."""
    registry = registry if registry is not None else _default_registry()
    walker = _Resolver(registry, validate=False, call=False)
    walker.node(_interpolated(config), ())
    return walker.used


def fill(
    config: Mapping[str, Any],
    *,
    validate: bool = True,
    registry: Any = None,
    schema: type[BaseModel] | None = None,
) -> Config:
    """A ``Config`` with every default of every called function written in.

    Only defaults a config file can hold (JSON data) are written; a default that is an
    arbitrary Python object is left out, so the function keeps using it. References
    (``${...}``) of an uninterpolated config stay as they are. Validation here checks
    everything that needs no function call; ``resolve`` checks the rest.
    """
    registry = registry if registry is not None else _default_registry()
    is_interpolated = getattr(config, "is_interpolated", True)
    filled = Config(dict(config), is_interpolated=is_interpolated)
    _fill_node(filled, (), registry)
    if validate:
        checker = _Resolver(registry, validate=True, call=False)
        promised = checker.node(_interpolated(filled), ())
        _check_sections(promised, schema, checker.errors)
        _raise(checker.errors, "Config validation error")
    return filled


def _fill_node(node: Any, path: tuple[Any, ...], registry: Any) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _fill_node(item, (*path, i), registry)
        return
    if not isinstance(node, dict):
        return
    fkey = _function_key(node, path)
    if fkey is not None and isinstance(node[fkey], str) and "${" not in node[fkey]:
        try:
            func = registry.get(fkey[1:], node[fkey])
        except RegistryError as err:
            raise RegistryError(f"{_dotted((*path, fkey))}: {err}") from None
        params, _, _ = _signature(func)
        for pname, param in params.items():
            if pname in node or param.default is inspect.Parameter.empty:
                continue
            if _is_literal(param.default):
                node[pname] = _to_literal(param.default)
    for key, value in node.items():
        _fill_node(value, (*path, key), registry)


def _default_registry() -> Any:
    from treadle.config.registry import registry

    return registry
