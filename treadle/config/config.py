"""``Config``: parse, interpolate, override, merge and write treadle config files.

The format is INI-like::

    [training]
    dropout = 0.1
    seed = ${system.seed}

    [training.optimizer]
    @optimizers = "Adam.v1"
    learn_rate = 0.001

Values are JSON where they parse as JSON and strings otherwise; a list or dict may run
on over indented lines, its closing bracket indented or at column 0. Dotted section
names nest, and ``[a.b]`` needs an ``[a]`` somewhere in the text (a ``*`` section, the
positional arguments of a call, needs no header). ``${a.b}`` (or configparser's
``${a:b}``, as confection accepts) refers to another value or a whole section, also
inside a list or dict; inside a string it is substituted as text. ``$$`` is a literal
``$``. Text indented as a whole (a triple-quoted Python string) is read dedented.

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

from treadle.config.lines import (
    POSITIONAL_SECTION,
    bracket_delta,
    close_sections,
    continues_open_value,
    dedent,
    missing_parent,
)
from treadle.errors import ConfigError
from treadle.util import atomic_write_text

# A reference target: dotted identifiers-ish (anything but braces, "$" and whitespace).
_REF_RE = re.compile(r"\$\{([^${}\s]+)\}")
_WHOLE_REF_RE = re.compile(r"^\$\{([^${}\s]+)\}$")
_SECTION_RE = re.compile(r"^\[([^\[\]]*)\]$")
_COMMENT_PREFIXES = ("#", ";")

# Limits that keep hostile or broken configs from exhausting the stack, memory or time.
# MAX_DEPTH bounds the nesting of sections and of values (``[[[...]]]``), so every walk
# over a config stays far from Python's recursion limit; real configs nest under 10.
MAX_DEPTH = 100
# MAX_INTERPOLATED_SIZE bounds what interpolation may produce, counted as one per value
# substituted plus one per character of its strings: a config whose references double
# at each level fails in well under a second instead of growing to 2**n values.
MAX_INTERPOLATED_SIZE = 1_000_000


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


class _ValueSyntaxError(ValueError):
    pass


def _json_depth(value: Any) -> int:
    depth = 0
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, (dict, list)):
            depth = max(depth, level)
            todo.extend((v, level + 1) for v in (node.values() if isinstance(node, dict) else node))
    return depth


_NOT_JSON = object()


def _loads(text: str) -> Any:
    """``json.loads``, or ``_NOT_JSON``; too deep or too large is a syntax error, not a
    reason to read the text as a plain string."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return _NOT_JSON
    except RecursionError:
        raise _ValueSyntaxError(f"value nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as err:
        # Not a decode error: an integer past Python's digit limit.
        raise _ValueSyntaxError(f"number too large ({err})") from None
    # Nested no deeper than the text has brackets: only a value with many is walked.
    if (
        isinstance(value, (list, dict))
        and text.count("[") + text.count("{") > MAX_DEPTH
        and _json_depth(value) > MAX_DEPTH
    ):
        raise _ValueSyntaxError(f"value nested more than {MAX_DEPTH} levels deep")
    return value


def _comment_start(raw: str) -> int | None:
    """Where an inline comment (whitespace, then ``#`` or ``;``) starts outside JSON
    strings. One pass: a ``" #"`` inside each of 50,000 list items must not cost a
    parse attempt each."""
    in_str = escaped = False
    for i, ch in enumerate(raw):
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "#;" and i > 0 and raw[i - 1].isspace():
            return i - 1
    return None


def _split_inline_comment(raw: str) -> str | None:
    """``0.1  # why`` -> ``0.1``; only when the text before the comment is a JSON value
    or a reference. Only the first comment outside strings can qualify: any later head
    holds that ``#`` outside a string, which JSON never allows."""
    start = _comment_start(raw)
    if start is None:
        return None
    head = raw[:start].rstrip()
    if _WHOLE_REF_RE.match(head) or _loads(head) is not _NOT_JSON:
        return head
    if (
        "${" in head
        and head[:1] in ("[", "{")
        and _loads(_scan_unquoted_refs(head)) is not _NOT_JSON
    ):
        return head
    return None


def parse_value(raw: str) -> Any:
    """Parse one config value: JSON where it parses, a reference, or a plain string.

    The result is the *uninterpolated* value: references stay as ``${...}`` text.
    Raises ``_ValueSyntaxError`` for text that is clearly meant as JSON (starts with
    ``[``, ``{`` or ``"``) but is malformed.
    """
    raw = raw.strip()
    if raw == "":
        return ""
    value = _loads(raw)
    if value is not _NOT_JSON:
        return value
    if _WHOLE_REF_RE.match(raw):
        return raw
    if "${" in raw and raw[0] in "[{":
        value = _loads(_scan_unquoted_refs(raw))
        if value is not _NOT_JSON:
            return value
    head = _split_inline_comment(raw)
    if head is not None:
        return parse_value(head)
    if raw[0] in '[{"':
        kind = {"[": "list", "{": "dict", '"': "string"}[raw[0]]
        shown = raw if len(raw) <= 80 else f"{raw[:60]}... ({len(raw):,} characters)"
        raise _ValueSyntaxError(f"malformed {kind} value: {shown!r}")
    return raw


_ESCAPED_DOLLAR_RE = re.compile(r"\$(?=[${])")


def _escape_dollars(text: str) -> str:
    # Only a "$" that a reader would combine with the next char needs escaping.
    return _ESCAPED_DOLLAR_RE.sub("$$", text) if "$" in text else text


def _escape_nested(value: Any) -> Any:
    if isinstance(value, str):
        return _escape_dollars(value)
    if isinstance(value, list):
        return [_escape_nested(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape_nested(v) for k, v in value.items()}
    return value


# A whole-value reference as json.dumps writes it inside a list or dict: an opening
# quote (never escaped: inside a JSON string a quote always is), the reference, a
# closing quote, and no ":" after it (a dict key stays quoted).
_QUOTED_REF_RE = re.compile(r'(?<!\\)"(\$\{[^${}\s"\\]+\})"(?!\s*:)')


def _dump_value(value: Any, *, interpolated: bool, key: str = "") -> str:
    if interpolated:
        value = _escape_nested(value)
    elif isinstance(value, str) and _WHOLE_REF_RE.match(value):
        return value
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as err:
        raise ConfigError(
            f"Can't write value {_short_repr(value)} ({type(value).__name__}) to a config: {err}"
        ) from None
    # Nested no deeper than it has brackets: only a value with many is walked.
    if (
        isinstance(value, (list, dict))
        and text.count("[") + text.count("{") > MAX_DEPTH
        and _json_depth(value) > MAX_DEPTH
    ):
        raise ConfigError(
            f"Can't write config key {key!r}: its value is nested more than {MAX_DEPTH} "
            f"levels deep, which no config reader accepts"
        )
    if not interpolated and "${" in text and isinstance(value, (list, dict)):
        # [1, ${a.b}] as confection writes it: a reader gives the referenced value
        # itself, not its text, either way.
        text = _QUOTED_REF_RE.sub(r"\1", text)
    return text


def _short_repr(value: Any) -> str:
    # repr() itself fails on an int past Python's digit limit, and may be huge.
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"


# ----------------------------------------------------------------------------- parser


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _check_text(text: str, source: str) -> None:
    """Reject text no config editor writes: NUL bytes (a binary file) and lone
    surrogates (undecodable bytes smuggled in through ``surrogateescape``)."""
    nul = text.find("\x00")
    if nul != -1:
        raise ConfigError(
            f"{source}, line {_line_of(text, nul)}: NUL byte in config text (a binary file?)"
        )
    try:
        text.encode("utf8")
    except UnicodeEncodeError as err:
        raise ConfigError(
            f"{source}, line {_line_of(text, err.start)}: text is not valid UTF-8 "
            f"(undecodable character {text[err.start]!r})"
        ) from None


def _parse(text: str, source: str) -> dict[str, Any]:
    """Parse config text into nested dicts of uninterpolated values."""
    _check_text(text, source)
    root: dict[str, Any] = {}
    # Where each section / key was defined, for error messages.
    section_lines: dict[tuple[str, ...], int] = {}
    current: dict[str, Any] | None = None
    current_path: tuple[str, ...] = ()
    pending: tuple[str, list[str], int] | None = None  # key, raw lines, line number
    # Brackets still open in the pending value, or None when it is no JSON list/dict.
    open_depth: int | None = None

    def _continues(line: str, stripped: str) -> bool:
        if open_depth is None:
            return line[0] in " \t"
        return open_depth > 0 and continues_open_value(line, stripped)

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
        if len(parts) > MAX_DEPTH:
            raise ConfigError(
                f"{where(line_no)}: section [{name[:60]}...] nests more than {MAX_DEPTH} levels deep"
            )
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

    lines = dedent([line.rstrip("\r") for line in text.split("\n")])
    for line_no, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if pending is not None and _continues(line, stripped):
            # Continuation of a multi-line value; a comment line inside it is skipped.
            if not stripped.startswith(_COMMENT_PREFIXES):
                pending[1].append(stripped)
                if open_depth is not None:
                    open_depth += bracket_delta(stripped)
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
        value = value.strip()
        pending = (key, [value], line_no)
        # A JSON list or dict runs on while its brackets are open; any other value
        # takes the indented lines below it (a multi-line string).
        open_depth = bracket_delta(value) if value[:1] in ("[", "{") else None
    flush()
    _check_parents(section_lines, where)
    # Sections whose keys were defined before a child section of the same name appeared
    # are caught above; a child section defined after a same-named key is caught here.
    return root


def _check_parents(sections: dict[tuple[str, ...], int], where: Callable[[int], str]) -> None:
    """``[a.b]`` needs an ``[a]`` somewhere (as confection requires): otherwise a typo
    in a parent's name would silently create a second section."""
    found = missing_parent(sections)
    if found is None:
        return
    parts, parent, line_no = found
    name = ".".join(parent)
    close = close_sections(name, sections)
    hint = f" Did you mean [{'] or ['.join(close)}]?" if close else ""
    raise ConfigError(
        f"{where(line_no)}: section [{'.'.join(parts)}] has no parent section [{name}]; "
        f"define [{name}] (it may be empty), or fix the name if it is misspelled.{hint}"
    )


# ------------------------------------------------------------------------ interpolation


def _copy_json(value: Any) -> Any:
    # Values are JSON-like and at most MAX_DEPTH deep: a plain walk is quicker than deepcopy.
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


def _measure(value: Any) -> tuple[int, int]:
    """``(size, depth)`` of a value: one per value plus the length of each string."""
    size, depth = 0, 0
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        node, level = todo.pop()
        size += 1
        if isinstance(node, str):
            size += len(node)
        elif isinstance(node, (dict, list)):
            depth = max(depth, level + 1)
            todo.extend((v, level + 1) for v in (node.values() if isinstance(node, dict) else node))
    return size, depth


def _refs_in(raw: Any, path: str) -> list[tuple[str, str]]:
    """Each ``(target, key)`` a raw value refers to, in order (``$$`` is no reference)."""
    found: list[tuple[str, str]] = []
    todo: list[tuple[Any, str]] = [(raw, path)]
    while todo:
        node, where = todo.pop()
        if isinstance(node, str):
            if "${" in node:
                found.extend((m.group(1), where) for m in _REF_RE.finditer(node.replace("$$", "")))
        elif isinstance(node, list):
            todo.extend((v, where) for v in reversed(node))
        elif isinstance(node, dict):
            todo.extend((v, f"{where}.{k}" if where else k) for k, v in reversed(node.items()))
    return found


def ref_path(target: str) -> str:
    """The dotted path a reference names: configparser's ``${section:key}`` (which
    confection accepts) means ``${section.key}``."""
    return target.replace(":", ".")


def _prefixes(target: str) -> Iterator[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``."""
    start = 0
    while (dot := target.find(".", start)) != -1:
        yield target[:dot]
        start = dot + 1
    yield target


class _Interpolator:
    """Resolves references depth first with an explicit stack, so a chain of any length
    needs no Python recursion, and counts what substitution produces so a config whose
    references multiply (each value referring twice to the one before) fails fast
    instead of growing without bound."""

    def __init__(self, root: dict[str, Any], max_size: int | None = None) -> None:
        self.root = root
        self.max_size = MAX_INTERPOLATED_SIZE if max_size is None else max_size
        self.cache: dict[str, tuple[Any, int]] = {}  # target -> (value, size)
        self.active: list[str] = []  # targets being resolved, outermost first
        # Each active target and each of its parent sections, counted: the cycle check
        # per reference is then a dict lookup, not a scan of a chain 5,000 long.
        self.active_prefixes: dict[str, int] = {}
        self.produced = 0

    def lookup(self, target: str, referrer: str, written: str | None = None) -> Any:
        node: Any = self.root
        for part in target.split("."):
            if not isinstance(node, dict) or part not in node:
                shown = written or target
                raise ConfigError(
                    f"Config key {referrer!r} refers to ${{{shown}}}, which does not exist"
                )
            node = node[part]
        return node

    def _check_cycle(self, target: str, where: str) -> None:
        # A target is circular when it is being resolved, or is a section holding a key
        # that is being resolved (``[a] x = ${a}``).
        if not self.active_prefixes.get(target):
            return
        for i, active in enumerate(self.active):
            if active == target or active.startswith(target + "."):
                chain = " -> ".join((*self.active[i:], target))
                raise ConfigError(f"Circular reference in config at key {where!r}: {chain}")

    def _push(self, target: str) -> None:
        self.active.append(target)
        for prefix in _prefixes(target):
            self.active_prefixes[prefix] = self.active_prefixes.get(prefix, 0) + 1

    def _pop(self) -> None:
        for prefix in _prefixes(self.active.pop()):
            self.active_prefixes[prefix] -= 1

    def _resolve_all(self, target: str, referrer: str, written: str) -> None:
        """Fill the cache for ``target`` and everything it depends on, without recursion.
        ``target`` is normalized (dots only); ``written`` is how the config spells it."""
        todo: list[tuple[str, str, bool, str]] = [(target, referrer, False, written)]
        while todo:
            tgt, ref_by, deps_done, spelled = todo.pop()
            if deps_done:
                value = self.value(self.lookup(tgt, ref_by, spelled), tgt)
                size, depth = _measure(value)
                if depth > MAX_DEPTH:
                    raise ConfigError(
                        f"Config key {tgt!r}: its interpolated value is nested more than "
                        f"{MAX_DEPTH} levels deep"
                    )
                self.cache[tgt] = (value, size)
                self._pop()
                continue
            if tgt in self.cache:
                continue
            self._check_cycle(tgt, ref_by)
            raw = self.lookup(tgt, ref_by, spelled)
            self._push(tgt)
            todo.append((tgt, ref_by, True, spelled))
            for dep, where in reversed(_refs_in(raw, tgt)):
                norm = ref_path(dep)
                if norm not in self.cache:
                    self._check_cycle(norm, where)
                    todo.append((norm, where, False, dep))

    def resolve_ref(self, target: str, referrer: str) -> Any:
        written, target = target, ref_path(target)
        if target not in self.cache:
            self._resolve_all(target, referrer, written)
        value, size = self.cache[target]
        self.produced += size
        if self.produced > self.max_size:
            raise ConfigError(
                f"Config key {referrer!r}: interpolating ${{{target}}} takes the config past "
                f"{self.max_size:,} values and characters (MAX_INTERPOLATED_SIZE); its "
                f"references expand too much"
            )
        return _copy_json(value)

    def string(self, text: str, path: str) -> Any:
        whole = _WHOLE_REF_RE.match(text)
        if whole:
            return self.resolve_ref(whole.group(1), path)
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
                value = self.resolve_ref(match.group(1), path)
                out.append(value if isinstance(value, str) else json.dumps(value))
                i = match.end()
            else:
                j = text.find("$", i + 1)
                j = len(text) if j == -1 else j
                out.append(text[i:j])
                i = j
        return "".join(out)

    def value(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return self.string(value, path)
        if isinstance(value, list):
            return [self.value(v, path) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, f"{path}.{k}" if path else k) for k, v in value.items()}
        return value


def _check_depth(root: dict[str, Any]) -> None:
    """A tree built in Python (not parsed) gets the parser's bound too: sections and
    values each nest at most MAX_DEPTH deep."""
    todo: list[tuple[Any, str, int]] = [(root, "", 0)]
    while todo:
        node, path, level = todo.pop()
        if level > 2 * MAX_DEPTH:
            raise ConfigError(
                f"Config key {path!r} is nested more than {2 * MAX_DEPTH} levels deep"
            )
        if isinstance(node, dict):
            todo.extend((v, f"{path}.{k}" if path else str(k), level + 1) for k, v in node.items())
        elif isinstance(node, list):
            todo.extend((v, path, level + 1) for v in node)


def _interpolate_tree(root: dict[str, Any]) -> dict[str, Any]:
    _check_depth(root)
    tree = _Interpolator(root).value(root, "")
    _check_writable(Config(tree, is_interpolated=True, _copy=False))
    return tree


def _check_writable(config: Config) -> None:
    """interpolate() and to_str() agree: a value the writer would refuse (an object, a
    reference that nests a value past MAX_DEPTH) is refused where it appears."""
    try:
        config.to_str()
    except ConfigError as err:
        raise ConfigError(f"The interpolated config can't be written back: {err}") from None


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
        _copy: bool = True,
    ) -> None:
        super().__init__()
        if data is not None:
            self.update(copy_module.deepcopy(dict(data)) if _copy else data)
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
            data = path.read_bytes()
        except OSError as err:
            raise ConfigError(f"Can't read config file {path}: {err.strerror or err}") from None
        try:
            text = data.decode("utf8")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            raise ConfigError(
                f"Config file {path}, line {line}: not valid UTF-8 (byte {data[err.start]:#04x} "
                f"at offset {err.start}); is it a binary file?"
            ) from None
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
        """Append the blocks of ``section`` and its subsections to ``blocks``.

        A dict that can't be a section (a key with a dot, too deep) is written inline
        as JSON, which reads back the same; a ``*`` section holding only subsections
        gets no header, as confection writes it (the reader creates it).
        """
        if len(path) > MAX_DEPTH:
            raise _Unsectionable(
                f"Can't write section [{'.'.join(path[:3])}...]: nested more than "
                f"{MAX_DEPTH} levels deep"
            )
        # The parents' names were checked as their sections were written.
        _check_name(path[-1], path)
        lines: list[str] = []
        child_blocks: list[str] = []
        dotted = ".".join(path)
        for key, value in section.items():
            if isinstance(value, dict):
                written: list[str] = []
                try:
                    self._write_section((*path, key), value, written)
                except _Unsectionable:
                    _check_key(key, path)
                    value_text = _dump_value(
                        value, interpolated=self.is_interpolated, key=f"{dotted}.{key}"
                    )
                    lines.append(f"{key} = {value_text}")
                    continue
                child_blocks.extend(written)
                continue
            _check_key(key, path)
            value_text = _dump_value(
                value, interpolated=self.is_interpolated, key=f"{dotted}.{key}"
            )
            lines.append(f"{key} = {value_text}")
        if lines or not child_blocks or path[-1] != POSITIONAL_SECTION:
            blocks.append("\n".join([f"[{dotted}]", *lines]))
        blocks.extend(child_blocks)

    def to_disk(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a temp file in the same directory, then ``os.replace``."""
        atomic_write_text(path, self.to_str())

    # -- transforming

    def interpolate(self) -> Config:
        """A new config with every ``${...}`` reference replaced by its value.

        Whatever it returns, ``to_str`` can write and ``from_str`` read back; a value
        that could not be (an object, a reference nesting past MAX_DEPTH) is an error.
        """
        if self.is_interpolated:
            copy = self.copy()
            _check_writable(copy)
            return copy
        return Config(_interpolate_tree(dict(self)), is_interpolated=True, _copy=False)

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


class _Unsectionable(ConfigError):
    """A dict that can't be written as a section; it may still be written inline."""


_BAD_NAME_RE = re.compile(r"[.\[\]\n\r]")
_BAD_KEY_RE = re.compile(r"[=\n\r]")


def _check_name(part: str, path: tuple[str, ...]) -> None:
    if not isinstance(part, str) or not part or _BAD_NAME_RE.search(part) or part != part.strip():
        raise _Unsectionable(f"Can't write section name {part!r} (in {'.'.join(map(str, path))})")


def _check_key(key: str, path: tuple[str, ...]) -> None:
    bad = (
        not isinstance(key, str)
        or not key
        or key != key.strip()
        or _BAD_KEY_RE.search(key)
        or key.startswith(("[", "#", ";"))
    )
    if bad:
        raise _Unsectionable(f"Can't write key {key!r} in section [{'.'.join(map(str, path))}]")


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
    return {ref: interp.resolve_ref(ref, ref) for ref in refs}
