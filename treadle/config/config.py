"""``Config``: parse, interpolate, override, merge and write treadle config files.

The format is INI-like::

    [training]
    dropout = 0.1
    seed = ${system.seed}

    [training.optimizer]
    @optimizers = "Adam.v1"
    learn_rate = 0.001

Values are JSON where they parse as JSON and strings otherwise. Dotted section names
nest. ``${a.b}`` refers to another value or a whole section; inside a string it is
substituted as text. ``$$`` is a literal ``$``.

A ``Config`` remembers whether its values are interpolated: an uninterpolated config
(``from_str(..., interpolate=False)``) still holds the raw ``${...}`` references and
``$$`` escapes, and writes them back unchanged; an interpolated one holds literal
values, and ``to_str`` escapes ``$`` where a reader would take it for a reference.
"""

from __future__ import annotations

import copy as copy_module
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from treadle.errors import ConfigError
from treadle.util import atomic_write_text

# A reference target: dotted identifiers-ish (anything but braces, "$" and whitespace).
_REF_RE = re.compile(r"\$\{([^${}\s]+)\}")
_WHOLE_REF_RE = re.compile(r"^\$\{([^${}\s]+)\}$")
_SECTION_RE = re.compile(r"^\[([^\[\]]*)\]$")
_COMMENT_PREFIXES = ("#", ";")


def _is_block_key(key: str) -> bool:
    return isinstance(key, str) and key.startswith("@")


def _function_of(section: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The ``(@category, name)`` pair of a registered-function block, else None."""
    for key, value in section.items():
        if _is_block_key(key):
            return key, value
    return None


# ----------------------------------------------------------------------------- values


def _scan_unquoted_refs(raw: str) -> str:
    """Quote every ``${...}`` that stands outside a JSON string (``[${a.b}, 1]``).

    The quoted form ``"${a.b}"`` is a whole-value reference, so ``[${a.b}]`` keeps its
    meaning: the list holds the referenced value itself, not its text.
    """
    out: list[str] = []
    i, in_str = 0, False
    while i < len(raw):
        ch = raw[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < len(raw):
                out.append(raw[i + 1])
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            out.append(ch)
        elif raw.startswith("${", i):
            end = raw.find("}", i)
            if end == -1:
                out.append(raw[i:])
                break
            out.append(json.dumps(raw[i : end + 1]))
            i = end
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _split_inline_comment(raw: str) -> str | None:
    """``0.1  # why`` -> ``0.1``; only when the text before the comment is JSON."""
    for match in re.finditer(r"\s[#;]", raw):
        head = raw[: match.start()].rstrip()
        try:
            json.loads(head)
        except ValueError:
            if _WHOLE_REF_RE.match(head):
                return head
            continue
        return head
    return None


class _ValueSyntaxError(ValueError):
    pass


def parse_value(raw: str) -> Any:
    """Parse one config value: JSON where it parses, a reference, or a plain string.

    The result is the *uninterpolated* value: references stay as ``${...}`` text.
    Raises ``_ValueSyntaxError`` for text that is clearly meant as JSON (starts with
    ``[``, ``{`` or ``"``) but is malformed.
    """
    raw = raw.strip()
    if raw == "":
        return ""
    try:
        return json.loads(raw)
    except ValueError:
        pass
    if _WHOLE_REF_RE.match(raw):
        return raw
    if "${" in raw and raw[0] in "[{":
        try:
            return json.loads(_scan_unquoted_refs(raw))
        except ValueError:
            pass
    head = _split_inline_comment(raw)
    if head is not None:
        return parse_value(head)
    if raw[0] in '[{"':
        kind = {"[": "list", "{": "dict", '"': "string"}[raw[0]]
        raise _ValueSyntaxError(f"malformed {kind} value: {raw!r}")
    return raw


def _escape_dollars(text: str) -> str:
    # Only a "$" that a reader would combine with the next char needs escaping.
    return re.sub(r"\$(?=[${])", "$$", text)


def _escape_nested(value: Any) -> Any:
    if isinstance(value, str):
        return _escape_dollars(value)
    if isinstance(value, list):
        return [_escape_nested(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape_nested(v) for k, v in value.items()}
    return value


def _dump_value(value: Any, *, interpolated: bool) -> str:
    if interpolated:
        value = _escape_nested(value)
    elif isinstance(value, str) and _WHOLE_REF_RE.match(value):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"Can't write value {value!r} ({type(value).__name__}) to a config: {err}"
        ) from err


# ----------------------------------------------------------------------------- parser


def _parse(text: str, source: str) -> dict[str, Any]:
    """Parse config text into nested dicts of uninterpolated values."""
    root: dict[str, Any] = {}
    # Where each section / key was defined, for error messages.
    section_lines: dict[tuple[str, ...], int] = {}
    current: dict[str, Any] | None = None
    current_path: tuple[str, ...] = ()
    pending: tuple[str, list[str], int] | None = None  # key, raw lines, line number

    def where(line_no: int) -> str:
        return f"{source}, line {line_no}"

    def flush() -> None:
        nonlocal pending
        if pending is None:
            return
        key, parts, line_no = pending
        pending = None
        raw = "\n".join(parts)
        try:
            value = parse_value(raw)
        except _ValueSyntaxError as err:
            dotted = ".".join((*current_path, key))
            raise ConfigError(f"{where(line_no)}: {dotted}: {err}") from None
        assert current is not None
        if key in current:
            dotted = ".".join((*current_path, key))
            raise ConfigError(f"{where(line_no)}: duplicate key {dotted!r}")
        current[key] = value

    def open_section(name: str, line_no: int) -> None:
        nonlocal current, current_path
        parts = tuple(p.strip() for p in name.split("."))
        if not name.strip() or any(not p for p in parts):
            raise ConfigError(f"{where(line_no)}: invalid section name [{name}]")
        if parts in section_lines:
            raise ConfigError(
                f"{where(line_no)}: section [{'.'.join(parts)}] is defined twice "
                f"(first on line {section_lines[parts]})"
            )
        section_lines[parts] = line_no
        node = root
        for i, part in enumerate(parts):
            if part not in node:
                node[part] = {}
            elif not isinstance(node[part], dict):
                dotted = ".".join(parts[: i + 1])
                raise ConfigError(
                    f"{where(line_no)}: section [{'.'.join(parts)}] conflicts with the "
                    f"value {dotted!r} defined earlier"
                )
            node = node[part]
        current, current_path = node, parts

    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        stripped = line.strip()
        if not stripped:
            continue
        if line[0] in " \t" and pending is not None:
            # Continuation of a multi-line value; a comment line inside it is skipped.
            if not stripped.startswith(_COMMENT_PREFIXES):
                pending[1].append(stripped)
            continue
        if stripped.startswith(_COMMENT_PREFIXES):
            continue
        flush()
        match = _SECTION_RE.match(stripped)
        if match:
            open_section(match.group(1), line_no)
            continue
        if "=" not in stripped:
            raise ConfigError(
                f"{where(line_no)}: expected '[section]' or 'key = value', got {stripped!r}"
            )
        key, _, value = stripped.partition("=")
        key = key.strip()
        if not key:
            raise ConfigError(f"{where(line_no)}: missing key before '='")
        if current is None:
            raise ConfigError(f"{where(line_no)}: key {key!r} appears before any [section] header")
        if isinstance(current.get(key), dict):
            dotted = ".".join((*current_path, key))
            raise ConfigError(
                f"{where(line_no)}: key {dotted!r} conflicts with the section [{dotted}]"
            )
        pending = (key, [value.strip()], line_no)
    flush()
    # Sections whose keys were defined before a child section of the same name appeared
    # are caught above; a child section defined after a same-named key is caught here.
    return root


# ------------------------------------------------------------------------ interpolation


class _Interpolator:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.cache: dict[str, Any] = {}

    def lookup(self, target: str, referrer: str) -> Any:
        node: Any = self.root
        for part in target.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(
                    f"Config key {referrer!r} refers to ${{{target}}}, which does not exist"
                )
            node = node[part]
        return node

    def resolve_ref(self, target: str, referrer: str, stack: tuple[str, ...]) -> Any:
        if target in self.cache:
            return copy_module.deepcopy(self.cache[target])
        if target in stack or any(s.startswith(target + ".") for s in stack):
            chain = " -> ".join((*stack, target))
            raise ConfigError(f"Circular reference in config: {chain}")
        raw = self.lookup(target, referrer)
        value = self.value(raw, target, (*stack, target))
        self.cache[target] = value
        return copy_module.deepcopy(value)

    def string(self, text: str, path: str, stack: tuple[str, ...]) -> Any:
        whole = _WHOLE_REF_RE.match(text)
        if whole:
            return self.resolve_ref(whole.group(1), path, stack)
        if "$" not in text:
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            if text.startswith("$$", i):
                out.append("$")
                i += 2
            elif text.startswith("${", i):
                match = _REF_RE.match(text, i)
                if match is None:
                    raise ConfigError(f"Config key {path!r}: malformed reference in {text!r}")
                value = self.resolve_ref(match.group(1), path, stack)
                out.append(value if isinstance(value, str) else json.dumps(value))
                i = match.end()
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    def value(self, value: Any, path: str, stack: tuple[str, ...]) -> Any:
        if isinstance(value, str):
            return self.string(value, path, stack)
        if isinstance(value, list):
            return [self.value(v, path, stack) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, f"{path}.{k}" if path else k, stack) for k, v in value.items()}
        return value


def _interpolate_tree(root: dict[str, Any]) -> dict[str, Any]:
    return _Interpolator(root).value(root, "", ())


# ---------------------------------------------------------------------------- overrides


def _apply_overrides(root: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Set dotted keys in the raw tree; unknown sections/keys are errors.

    A new key is allowed inside a registered-function block: it is a new argument.
    """
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        if len(parts) < 2 or any(not p for p in parts):
            raise ConfigError(
                f"Config override {dotted!r} must name a section and a key, like 'training.dropout'"
            )
        node: Any = root
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
                missing = ".".join(parts[: i + 1])
                raise ConfigError(
                    f"Can't override {dotted!r}: the config has no section [{missing}]"
                )
            node = node[part]
        key = parts[-1]
        if key not in node and _function_of(node) is None:
            raise ConfigError(
                f"Can't override {dotted!r}: section [{'.'.join(parts[:-1])}] has no key {key!r}"
            )
        node[key] = copy_module.deepcopy(value)


# ------------------------------------------------------------------------------ Config


class Config(dict):
    """A config: a dict of sections (dicts), with parsing, interpolation and writing."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        is_interpolated: bool | None = None,
    ) -> None:
        super().__init__()
        if data is not None:
            self.update(copy_module.deepcopy(dict(data)))
        if is_interpolated is None:
            is_interpolated = getattr(data, "is_interpolated", True)
        self.is_interpolated = is_interpolated

    def __repr__(self) -> str:
        return f"Config({dict.__repr__(self)})"

    # -- reading

    def from_str(
        self,
        text: str,
        *,
        interpolate: bool = True,
        overrides: Mapping[str, Any] | None = None,
        _source: str = "<string>",
    ) -> Config:
        """Replace this config's content with the parsed ``text``; return ``self``."""
        tree = _parse(text, _source)
        if overrides:
            _apply_overrides(tree, overrides)
        if interpolate:
            tree = _interpolate_tree(tree)
        self.clear()
        self.update(tree)
        self.is_interpolated = interpolate
        return self

    def from_disk(
        self,
        path: str | os.PathLike[str],
        *,
        interpolate: bool = True,
        overrides: Mapping[str, Any] | None = None,
    ) -> Config:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"Config file not found: {path}")
        if path.is_dir():
            raise ConfigError(f"Expected a config file, got a directory: {path}")
        try:
            text = path.read_text(encoding="utf8")
        except UnicodeDecodeError as err:
            raise ConfigError(f"Config file {path} is not valid UTF-8: {err}") from err
        return self.from_str(text, interpolate=interpolate, overrides=overrides, _source=str(path))

    # -- writing

    def to_str(self) -> str:
        """Write as config text; parents before children, values as JSON."""
        blocks: list[str] = []
        for name, section in self.items():
            if not isinstance(section, dict):
                raise ConfigError(
                    f"Can't write top-level key {name!r}: only sections (dicts) may sit "
                    f"at the top of a config, got {type(section).__name__}"
                )
            self._write_section((name,), section, blocks)
        return "\n\n".join(blocks) + ("\n" if blocks else "")

    def _write_section(
        self, path: tuple[str, ...], section: dict[str, Any], blocks: list[str]
    ) -> None:
        for part in path:
            _check_name(part, path)
        lines = [f"[{'.'.join(path)}]"]
        children: list[tuple[str, dict[str, Any]]] = []
        for key, value in section.items():
            if isinstance(value, dict):
                children.append((key, value))
                continue
            _check_key(key, path)
            lines.append(f"{key} = {_dump_value(value, interpolated=self.is_interpolated)}")
        blocks.append("\n".join(lines))
        for key, value in children:
            self._write_section((*path, key), value, blocks)

    def to_disk(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a temp file in the same directory, then ``os.replace``."""
        atomic_write_text(path, self.to_str())

    # -- transforming

    def interpolate(self) -> Config:
        """A new config with every ``${...}`` reference replaced by its value."""
        if self.is_interpolated:
            return self.copy()
        return Config(_interpolate_tree(dict(self)), is_interpolated=True)

    def merge(self, other: Mapping[str, Any]) -> Config:
        """A new config: ``other``'s values win; sections merge deeply.

        A block whose registered function differs in ``other`` replaces the block
        wholesale, so arguments of the old function don't leak into the new one.
        """
        merged = merge_blocks(copy_module.deepcopy(dict(self)), other)
        other_interp = getattr(other, "is_interpolated", self.is_interpolated)
        return Config(merged, is_interpolated=self.is_interpolated and other_interp)

    def copy(self) -> Config:  # type: ignore[override]
        """A deep copy."""
        return Config(self, is_interpolated=self.is_interpolated)

    def __copy__(self) -> Config:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Config:
        return self.copy()

    def walk(self) -> Iterator[tuple[tuple[str, ...], Any]]:
        """Every (path, value) pair, depth first, sections included."""
        yield from _walk((), dict(self))


def _walk(path: tuple[str, ...], node: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, value in node.items():
        yield (*path, key), value
        if isinstance(value, dict):
            yield from _walk((*path, key), value)


def _copy_value(value: Any) -> Any:
    return copy_module.deepcopy(dict(value) if isinstance(value, Mapping) else value)


def merge_blocks(
    base: dict[str, Any],
    other: Mapping[str, Any],
    *,
    copy_value: Callable[[Any], Any] = _copy_value,
) -> dict[str, Any]:
    """``other`` merged into ``base`` in place: sections merge key by key, except that a
    block calling another registered function than ``base``'s replaces it whole, so
    arguments of the old function don't leak into the new one. ``copy_value`` copies
    each value taken from ``other`` (a deep copy by default)."""
    for key, value in other.items():
        current = base.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            if _function_of(value) is not None and _function_of(value) != _function_of(current):
                base[key] = copy_module.deepcopy(dict(value))
            else:
                base[key] = merge_blocks(current, value, copy_value=copy_value)
        else:
            base[key] = copy_value(value)
    return base


def _check_name(part: str, path: tuple[str, ...]) -> None:
    if (
        not isinstance(part, str)
        or not part
        or any(c in part for c in ".[]\n\r")
        or (part != part.strip())
    ):
        raise ConfigError(f"Can't write section name {part!r} (in {'.'.join(map(str, path))})")


def _check_key(key: str, path: tuple[str, ...]) -> None:
    bad = (
        not isinstance(key, str)
        or not key
        or key != key.strip()
        or any(c in key for c in "=\n\r")
        or key.startswith(("[", "#", ";"))
    )
    if bad:
        raise ConfigError(f"Can't write key {key!r} in section [{'.'.join(path)}]")


def config_variables(config: Config) -> dict[str, Any]:
    """Each ``${...}`` reference of an uninterpolated config, mapped to its value."""
    refs: list[str] = []

    def scan(value: Any) -> None:
        if isinstance(value, str):
            # "$$" escapes are not references: drop them before matching.
            for match in _REF_RE.finditer(value.replace("$$", "")):
                if match.group(1) not in refs:
                    refs.append(match.group(1))
        elif isinstance(value, list):
            for v in value:
                scan(v)
        elif isinstance(value, dict):
            for v in value.values():
                scan(v)

    if config.is_interpolated:
        return {}
    scan(dict(config))
    interp = _Interpolator(dict(config))
    return {ref: interp.resolve_ref(ref, ref, ()) for ref in refs}
