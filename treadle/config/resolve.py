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

A ``"*"`` key inside a block holds positional arguments (for ``*args``): sections
``[a.*.first]``, ``[a.*.second]`` in order, or a list ``* = [1, 2]``.

A block inside a list or dict argument is resolved before that argument is validated,
as a block given directly is. An unknown function or registry category is one more
error of the ``ConfigValidationError``, at its key, not an exception of its own.

A function may be registered with default arguments beyond its signature (a component
factory's ``default_config``): they are merged under the block's own keys, nested
blocks key by key unless the block calls another function there.

``[components.<name>]`` blocks name their function with ``factory = "tagger"`` rather
than an ``@`` key: ``fill`` and validation treat them as ``@factories`` blocks whose
``nlp`` and ``name`` arguments ``Language`` passes when it builds the component.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import inspect
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from treadle.config.config import Config, merge_blocks
from treadle.config.schemas import SECTION_SCHEMAS
from treadle.errors import ConfigError, ConfigValidationError, RegistryError

POSITIONAL_KEY = "*"
FACTORY_KEY = "factory"
FACTORY_CATEGORY = "factories"
# Arguments of a factory that Language passes itself, never the config.
FACTORY_RUNTIME_ARGS = ("nlp", "name")
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
    except Exception:  # noqa: BLE001 - some forward ref does not resolve at run time
        hints = _hints_one_by_one(target)
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


def _hints_one_by_one(target: Any) -> dict[str, Any]:
    """The annotations that do resolve, when one of them doesn't (a name imported only
    for type checkers): those are skipped, the others still validate."""
    hints: dict[str, Any] = {}
    namespace = getattr(inspect.unwrap(target), "__globals__", {})
    for pname, annotation in getattr(target, "__annotations__", {}).items():
        if not isinstance(annotation, str):
            hints[pname] = annotation
            continue
        try:
            hints[pname] = eval(annotation, namespace)  # noqa: S307 - the function's own source
        except Exception:  # noqa: BLE001 - unresolvable here: left unchecked
            continue
    return hints


def merge_defaults(defaults: Mapping[str, Any], block: Mapping[str, Any]) -> dict[str, Any]:
    """``block`` over ``defaults``, merged as ``Config.merge`` merges; values that are
    not config data (the live ``nlp`` a component block carries) are passed, not copied."""
    return merge_blocks(copy.deepcopy(dict(defaults)), block, copy_value=_copy_literal)


def _copy_literal(value: Any) -> Any:
    return copy.deepcopy(value) if _is_literal(value) else value


def _declared_defaults(registry: Any, category: str, name: str) -> Mapping[str, Any]:
    get_registry = getattr(registry, "get_registry", None)
    if get_registry is None:
        return {}
    return get_registry(category).get_defaults(name)


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


def _written_key(fkey: str) -> str:
    """The key a user writes: ``factory = ...`` for the factories a config calls."""
    return FACTORY_KEY if fkey == f"@{FACTORY_CATEGORY}" else fkey


def _component_factory(path: tuple[Any, ...], node: Mapping[str, Any]) -> str | None:
    """The factory a ``[components.<name>]`` block names, if it is one to build."""
    if len(path) != 2 or path[0] != "components" or _function_key(node, path) is not None:
        return None
    name = node.get(FACTORY_KEY)
    return name if isinstance(name, str) and "${" not in name else None


def _components_as_calls(tree: dict[str, Any]) -> dict[str, Any]:
    """``tree`` with each component block written as the call Language makes of it,
    for validation: ``nlp`` is a stand-in, ``name`` the component's name."""
    components = tree.get("components")
    if not isinstance(components, Mapping):
        return tree
    calls: dict[str, Any] = {}
    for name, block in components.items():
        fname = (
            _component_factory(("components", name), block) if isinstance(block, Mapping) else None
        )
        if fname is None:
            calls[name] = block
            continue
        settings = {k: v for k, v in block.items() if k != FACTORY_KEY}
        calls[name] = {
            f"@{FACTORY_CATEGORY}": fname,
            "nlp": _Promise("runtime", "nlp"),
            "name": name,
            **settings,
        }
    return {**tree, "components": calls}


def extra_input_message(key: str, accepted: Iterable[str]) -> str:
    """The error for a key the function (or section) does not take, with the closest
    accepted names: the same wording for every section of a config."""
    names = sorted(n for n in accepted if n not in FACTORY_RUNTIME_ARGS)
    # Compared without case, so 'l2' finds 'L2'.
    by_lower = {n.lower(): n for n in names}
    close = [by_lower[c] for c in difflib.get_close_matches(key.lower(), by_lower, n=3, cutoff=0.6)]
    hint = f", did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
    takes = ", ".join(names) or "nothing"
    return f"Extra inputs are not permitted (unknown setting {key!r}{hint} It takes: {takes})"


class _Resolver:
    def __init__(self, registry: Any, *, validate: bool, call: bool) -> None:
        self.registry = registry
        self.validate = validate
        self.call = call
        self.errors: list[dict[str, Any]] = []
        self.used: list[FunctionUse] = []
        # Blocks that failed / were not called so far: a value whose walk raised either
        # count holds a failed block or a promise somewhere inside (a list, a dict).
        self.n_failed = 0
        self.n_promised = 0

    def root(self, tree: Mapping[str, Any]) -> Any:
        _check_root(tree)
        return self.node(tree, ())

    def node(self, value: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(value, Mapping):
            if _function_key(value, path) is not None:
                return self.block(value, path)
            return {k: self.node(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.node(v, (*path, i)) for i, v in enumerate(value)]
        return value

    def lookup(
        self, block: Mapping[str, Any], path: tuple[Any, ...]
    ) -> tuple[str, str, Any] | None:
        """The block's function, or None after recording why it has none (an unknown
        name or category is one more error of the config, reported with the others)."""
        fkey = _function_key(block, path)
        assert fkey is not None
        category, name = fkey[1:], block[fkey]
        loc = [*path, _written_key(fkey)]
        if not isinstance(name, str):
            self.errors.append({"loc": loc, "msg": f"Expected a function name, got {name!r}"})
            return None
        try:
            return category, name, self.registry.get(category, name)
        except RegistryError as err:
            self.errors.append({"loc": loc, "msg": str(err)})
            return None

    def block(self, block: Mapping[str, Any], path: tuple[Any, ...]) -> Any:
        found = self.lookup(block, path)
        if found is None:
            self.n_failed += 1
            return _FAILED
        result = self._call_block(block, path, *found)
        if result is _FAILED:
            self.n_failed += 1
        elif isinstance(result, _Promise):
            self.n_promised += 1
        return result

    def _arg(self, value: Any, path: tuple[Any, ...]) -> tuple[Any, bool, bool]:
        """An argument's value, and whether a failed block / a promise sits inside it."""
        failed, promised = self.n_failed, self.n_promised
        out = self.node(value, path)
        return out, self.n_failed > failed, self.n_promised > promised

    def _call_block(
        self, block: Mapping[str, Any], path: tuple[Any, ...], category: str, name: str, func: Any
    ) -> Any:
        self.used.append(FunctionUse(tuple(path), category, name, func))
        defaults = _declared_defaults(self.registry, category, name)
        if defaults:
            block = merge_defaults(defaults, block)
        kwargs: dict[str, Any] = {}
        from_blocks: set[str] = set()
        positional: list[Any] = []
        # Arguments holding a failed block or a promise (also inside a list or dict)
        # are validated once their blocks are called, never against a stand-in.
        skip: set[str] = set()
        skip_pos: set[int] = set()
        failed = False
        for key, value in block.items():
            if isinstance(key, str) and key.startswith("@"):
                continue
            if key == POSITIONAL_KEY and isinstance(value, (Mapping, list)):
                # [a.*.x] sections, or * = [...]: the function's *args, in order.
                items = value.items() if isinstance(value, Mapping) else enumerate(value)
                for i, (k, v) in enumerate(items):
                    arg, arg_failed, arg_promised = self._arg(v, (*path, key, k))
                    positional.append(arg)
                    failed = failed or arg_failed
                    if arg_failed or arg_promised:
                        skip_pos.add(i)
                continue
            if isinstance(value, Mapping) and _function_key(value, (*path, key)):
                from_blocks.add(key)
            kwargs[key], arg_failed, arg_promised = self._arg(value, (*path, key))
            failed = failed or arg_failed
            # A promise given as the value itself: the runtime ``nlp`` of a component.
            if arg_failed or arg_promised or isinstance(kwargs[key], _Promise):
                skip.add(key)
        if self.validate:
            n_errors = len(self.errors)
            kwargs, positional = self.check(
                func, kwargs, positional, path, skip, from_blocks, skip_pos
            )
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
        skip_pos: set[int],
    ) -> tuple[dict[str, Any], list[Any]]:
        params, var_kw, var_pos = _signature(func)
        out = dict(kwargs)
        for key in kwargs:
            if key not in params and var_kw is None:
                self.errors.append({"loc": [*path, key], "msg": extra_input_message(key, params)})
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
                if i in skip_pos:
                    continue
                new_pos[i] = self.check_value(var_pos, value, (*path, POSITIONAL_KEY, i))
        return out, new_pos

    def check_value(self, param: _Param, value: Any, loc: tuple[Any, ...]) -> Any:
        adapter = param.adapter()
        if adapter is None:
            return value
        try:
            coerced = adapter.validate_python(value)
        except ValidationError as err:
            self.errors.extend(_value_errors(param.hint, value, loc, err))
            return value
        except (TypeError, AttributeError):
            # Pydantic built a schema it can't apply (e.g. isinstance on a generic).
            return value
        # Coerced literals are what the function gets ("1" -> 1); objects (and whatever a
        # block returned) pass through unchanged, so validation never swaps one out.
        return _to_literal(coerced) if _is_literal(value) and _is_literal(coerced) else value


def _value_errors(
    hint: Any, value: Any, loc: tuple[Any, ...], err: ValidationError
) -> list[dict[str, Any]]:
    """Pydantic's errors as config errors. A value that fits no member of a union gets
    one line naming the members, not one line per member under pydantic's tags."""
    errors = err.errors()
    members = _union_members(hint)
    if (
        members
        and len(errors) > 1
        and all(e["loc"] and isinstance(e["loc"][0], str) for e in errors)
    ):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        msg = f"Input should be {' or '.join(members)}; got {shown} ({type(value).__name__})"
        return [{"loc": list(loc), "msg": msg}]
    out = []
    for e in errors:
        msg = e["msg"]
        model = _model_at(hint, e["loc"][:-1]) if e["type"] == "extra_forbidden" else None
        if model is not None:
            msg = extra_input_message(str(e["loc"][-1]), model.model_fields)
        out.append({"loc": [*loc, *e["loc"]], "msg": msg})
    return out


def _model_at(hint: Any, loc: Sequence[Any]) -> type[BaseModel] | None:
    """The settings model found at ``loc`` inside a value of type ``hint`` (through
    model fields and dict values), to name what an unknown key could have been."""
    for part in loc:
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            field = hint.model_fields.get(str(part))
            if field is None:
                return None
            hint = field.annotation
        elif typing.get_origin(hint) in (dict, Mapping):
            hint = typing.get_args(hint)[-1]
        else:
            return None
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


def _union_members(hint: Any) -> list[str]:
    if typing.get_origin(hint) not in (typing.Union, types.UnionType):
        return []
    return [_type_name(arg) for arg in typing.get_args(hint)]


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if hint is type(None):
        return "null"
    origin = typing.get_origin(hint)
    name = getattr(origin or hint, "__name__", None)
    if name is None:
        return str(hint).replace("typing.", "")
    plain = {"float": "a number", "int": "an integer", "str": "a string", "bool": "a boolean"}
    if name in plain:
        return plain[name]
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def _check_sections(
    tree: Mapping[str, Any], schema: type[BaseModel] | None, errors: list[dict[str, Any]]
) -> None:
    def collect(model: type[BaseModel], data: Any, prefix: list[Any]) -> None:
        try:
            model.model_validate(data)
        except ValidationError as err:
            for e in err.errors():
                msg = e["msg"]
                if e["type"] == "extra_forbidden" and len(e["loc"]) == 1:
                    msg = extra_input_message(str(e["loc"][0]), model.model_fields)
                errors.append({"loc": [*prefix, *e["loc"]], "msg": msg})

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
    registry: Any,
    schema: type[BaseModel] | None = None,
) -> dict[str, Any]:
    """A plain dict: ``config`` with every ``@`` block replaced by its function's result.

    ``schema``: a pydantic model to validate the whole config against; without it the
    known top-level sections are validated against ``treadle.config.schemas``.
    """
    tree = _interpolated(config)
    if validate:
        pre = _Resolver(registry, validate=True, call=False)
        promised = pre.root(tree)
        _check_sections(promised, schema, pre.errors)
        _raise(pre.errors, "Config validation error")
    resolver = _Resolver(registry, validate=validate, call=True)
    result = resolver.root(tree)
    _raise(resolver.errors, "Config validation error (arguments built from the config)")
    return result


def resolve_at(path: str, value: Any, *, validate: bool = True, registry: Any) -> Any:
    """Resolve ``value`` as what sits at the dotted ``path`` of a config (a component
    at ``components.tagger``, an optimizer at ``training.optimizer``), so that errors
    name the keys as the config file spells them."""
    parts = path.split(".")
    tree: Any = value
    for part in reversed(parts):
        tree = {part: tree}
    result = resolve(tree, validate=validate, registry=registry)
    for part in parts:
        result = result[part]
    return result


def used_functions(config: Mapping[str, Any], *, registry: Any) -> list[FunctionUse]:
    """Every registered function a config calls, with the block path that calls it."""
    walker = _Resolver(registry, validate=False, call=False)
    walker.root(_interpolated(config))
    return walker.used


def fill(
    config: Mapping[str, Any],
    *,
    validate: bool = True,
    registry: Any,
    schema: type[BaseModel] | None = None,
) -> Config:
    """A ``Config`` with every default of every called function written in.

    Only defaults a config file can hold (JSON data) are written; a default that is an
    arbitrary Python object is left out, so the function keeps using it. References
    (``${...}``) of an uninterpolated config stay as they are. Validation here checks
    everything that needs no function call; ``resolve`` checks the rest.
    """
    _check_root(config)
    is_interpolated = getattr(config, "is_interpolated", True)
    filled = Config(dict(config), is_interpolated=is_interpolated)
    unknown: list[dict[str, Any]] = []
    _fill_node(filled, (), registry, unknown)
    if validate:
        checker = _Resolver(registry, validate=True, call=False)
        promised = checker.root(_components_as_calls(_interpolated(filled)))
        _check_sections(promised, schema, checker.errors)
        _raise(checker.errors, "Config validation error")
    _raise(unknown, "Config validation error")
    return filled


def _fill_node(
    node: Any, path: tuple[Any, ...], registry: Any, unknown: list[dict[str, Any]]
) -> None:
    """Write defaults into ``node`` in place; a function that can't be found is added
    to ``unknown`` (its block is left as it is) so every such name is reported."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _fill_node(item, (*path, i), registry, unknown)
        return
    if not isinstance(node, dict):
        return
    fkey = _function_key(node, path)
    category, fname = (fkey[1:], node[fkey]) if fkey is not None else (None, None)
    component_factory = _component_factory(path, node)
    if component_factory is not None:
        fkey, category, fname = FACTORY_KEY, FACTORY_CATEGORY, component_factory
    func = None
    if fkey is not None and isinstance(fname, str) and "${" not in fname:
        try:
            func = registry.get(category, fname)
        except RegistryError as err:
            unknown.append({"loc": [*path, _written_key(f"@{category}")], "msg": str(err)})
    if func is not None:
        defaults = _declared_defaults(registry, category, fname)
        if defaults:
            args = merge_defaults(defaults, {k: v for k, v in node.items() if k != fkey})
            node.clear()
            node.update({fkey: fname, **args})
        params, _, _ = _signature(func)
        for pname, param in params.items():
            if pname in node or param.default is inspect.Parameter.empty:
                continue
            if category == FACTORY_CATEGORY and pname in FACTORY_RUNTIME_ARGS:
                continue
            if _is_literal(param.default):
                node[pname] = _to_literal(param.default)
    for key, value in node.items():
        _fill_node(value, (*path, key), registry, unknown)


def _check_root(tree: Any) -> None:
    """The top level of a config holds sections; a registered-function block there has
    no key its result could be stored under (``[model]`` is the place for it)."""
    if not isinstance(tree, Mapping):
        raise ConfigError(f"A config is a mapping of sections, got {type(tree).__name__}")
    calls = [k for k in tree if isinstance(k, str) and k.startswith("@")]
    if calls:
        key = calls[0]
        raise ConfigError(
            f"The top level of a config can't call a registered function (found {key!r} "
            f"there): put the block in a section of its own, like [model] with "
            f"{key} = ... under it"
        )
