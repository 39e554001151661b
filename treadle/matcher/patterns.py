"""Token patterns: validation and compilation into vectorizable checks.

A token pattern is a list of dicts, one per token. Each dict is turned into a
tuple of *checks* (all must hold) plus an operator. A check is evaluated over a
whole Doc at once (one boolean per token) from the int64 columns of
``Doc.to_array``: literal and ``IN`` checks compare hashes, comparisons work on
integer columns, and string predicates (REGEX, FUZZY, MORPH sets) run once per
distinct value in the Doc and are cached by hash. Checks are hashable so equal
checks in different patterns are computed once per Doc.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import MatchPatternError
from treadle.tokens import attrs as A
from treadle.tokens._layout import IOB_IDS, IOB_NAMES, to_i64
from treadle.tokens.morphology import EMPTY_MORPH, feats_to_dict, normalize_feats
from treadle.tokens.parts_of_speech import N_POS, POS_IDS, UPOS_NAMES
from treadle.tokens.strings import hash_string

if TYPE_CHECKING:
    from treadle.tokens.strings import StringStore

# Attributes whose column holds 64-bit string hashes.
HASH_ATTRS = frozenset({
    A.ORTH, A.LOWER, A.NORM, A.SHAPE, A.PREFIX, A.SUFFIX, A.LANG,
    A.TAG, A.MORPH, A.LEMMA, A.DEP, A.ENT_TYPE, A.ENT_ID, A.ENT_KB_ID,
})
# Small enums stored as ints but written as names in patterns.
ENUM_NAMES: dict[int, tuple[str, ...]] = {A.POS: UPOS_NAMES, A.ENT_IOB: IOB_NAMES}
ENUM_IDS: dict[int, dict[str, int]] = {A.POS: POS_IDS, A.ENT_IOB: IOB_IDS}
BOOL_ATTRS = frozenset(A.FLAG_ATTRS) | {A.SPACY, A.SENT_START}
INT_ATTRS = frozenset({A.LENGTH, A.IDX, A.HEAD, A.ID})
NUMERIC_ATTRS = INT_ATTRS | BOOL_ATTRS
PATTERN_ATTRS: dict[str, int] = dict(A.IDS)

OPS = ("?", "*", "+", "!", "1")
_OP_RANGE = re.compile(r"^\{\s*(\d*)\s*(,?)\s*(\d*)\s*\}$")

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, ">=": operator.ge,
    "<=": operator.le, ">": operator.gt, "<": operator.lt,
}
SET_PREDICATES = ("IS_SUBSET", "IS_SUPERSET", "INTERSECTS")
FUZZY_PREDICATES = ("FUZZY", *(f"FUZZY{i}" for i in range(1, 10)))
PREDICATES = ("IN", "NOT_IN", "REGEX", *COMPARISONS, *SET_PREDICATES, *FUZZY_PREDICATES)

# Step kinds of the expanded pattern the matcher runs.
ONE, OPT, STAR, NEG = 0, 1, 2, 3


class PatternContext:
    """Where a check comes from, for error messages."""

    __slots__ = ("key", "pattern_index", "token_index", "token")

    def __init__(self, key: str, pattern_index: int, token_index: int | None = None,
                 token: Any = None) -> None:
        self.key = key
        self.pattern_index = pattern_index
        self.token_index = token_index
        self.token = token

    def error(self, msg: str) -> MatchPatternError:
        where = f"pattern {self.pattern_index}"
        if self.token_index is not None:
            where += f", token {self.token_index}"
            if self.token is not None:
                where += f" {_short(self.token)}"
        return MatchPatternError(f"Invalid pattern for key {self.key!r} ({where}): {msg}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _closest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


# --------------------------------------------------------------------- checks


class Check:
    """One condition on a token, evaluated for every token of a Doc at once."""

    key: Hashable

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Check) and self.key == other.key

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self.key!r}"


class ValueCheck(Check):
    """The column value is one of ``values`` (int64 domain), or none of them."""

    def __init__(self, attr: int, values: Iterable[int], negate: bool = False) -> None:
        self.attr = attr
        self.values = frozenset(values)
        self.negate = negate
        self.key = ("value", attr, self.values, negate)

    def compute(self, ctx: Any) -> np.ndarray:
        col = ctx.column(self.attr)
        if len(self.values) == 1:
            mask = col == next(iter(self.values))
        else:
            mask = np.isin(col, np.fromiter(self.values, dtype=np.int64, count=len(self.values)))
        return ~mask if self.negate else mask


class CompareCheck(Check):
    """A numeric comparison on an integer column (LENGTH >= 3)."""

    def __init__(self, attr: int, op: str, value: float) -> None:
        self.attr = attr
        self.op = op
        self.value = value
        self.key = ("compare", attr, op, value)

    def compute(self, ctx: Any) -> np.ndarray:
        return np.asarray(COMPARISONS[self.op](ctx.column(self.attr), self.value), dtype=bool)


class TextCheck(Check):
    """A predicate on the string form of a value, run once per distinct value and cached."""

    _CACHE_MAX = 200_000

    def __init__(self, attr: int, name: str, arg: Any, func: Callable[[str | None], bool]) -> None:
        self.attr = attr
        self.func = func
        self.key = ("text", attr, name, _freeze(arg))
        self._cache: dict[int, bool] = {}

    def compute(self, ctx: Any) -> np.ndarray:
        col = ctx.column(self.attr)
        if not len(col):
            return np.zeros(0, dtype=bool)
        uniq, inverse = np.unique(col, return_inverse=True)
        cache = self._cache
        if len(cache) > self._CACHE_MAX:
            cache.clear()
        results = []
        for value in uniq.tolist():
            hit = cache.get(value)
            if hit is None:
                hit = cache[value] = bool(self.func(ctx.text(self.attr, value)))
            results.append(hit)
        return np.array(results, dtype=bool)[inverse.reshape(-1)]


class ExtensionCheck(Check):
    """A predicate on a token extension attribute (``{"_": {"name": ...}}``)."""

    def __init__(self, name: str, pred: str, arg: Any, func: Callable[[Any], bool]) -> None:
        self.name = name
        self.func = func
        self.key = ("ext", name, pred, _freeze(arg))

    def compute(self, ctx: Any) -> np.ndarray:
        func = self.func
        values = ctx.extension(self.name)
        return np.fromiter((bool(func(v)) for v in values), dtype=bool, count=len(values))


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return (type(value).__name__, value)


# ----------------------------------------------------------------- predicates


def _as_set(value: Any) -> set:
    if value is None:
        return set()
    if isinstance(value, (list, tuple, set, frozenset)):
        return set(value)
    return {value}


def morph_features(feats: str | None) -> set[str]:
    """``"Number=Sing|Person=1,3"`` -> {"Number=Sing", "Person=1", "Person=3"}."""
    if not feats or feats == EMPTY_MORPH:
        return set()
    return {f"{field}={v}" for field, vals in feats_to_dict(feats).items() for v in vals.split(",")}


def _set_predicate(name: str, wanted: set) -> Callable[[set], bool]:
    if name == "IS_SUBSET":
        return lambda have: have <= wanted
    if name == "IS_SUPERSET":
        return lambda have: have >= wanted
    return lambda have: bool(have & wanted)


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance between a and b, or limit + 1 once it must exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        best = i
        for j, cb in enumerate(b, 1):
            cost = prev[j - 1] + (ca != cb)
            cost = min(cost, prev[j] + 1, cur[j - 1] + 1)
            cur.append(cost)
            best = min(best, cost)
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def fuzzy_match(text: str, pattern: str, max_edits: int | None) -> bool:
    """FUZZY: at most ``max_edits`` edits; by default 30% of the pattern's length
    (at least one edit, and never more than the shorter string is long)."""
    if text == pattern:
        return True
    if max_edits is None:
        max_edits = max(1, round(0.3 * len(pattern)))
        max_edits = min(max_edits, len(text), len(pattern))
    return levenshtein(text, pattern, max_edits) <= max_edits


# ---------------------------------------------------------------- validation


def parse_op(op: Any, ctx: PatternContext) -> tuple[int, int | None]:
    """An operator as (min, max) repetitions; max None = unbounded; (-1, -1) = negation."""
    if not isinstance(op, str):
        raise ctx.error(f"OP must be a string, got {type(op).__name__} {op!r}")
    fixed = {"1": (1, 1), "?": (0, 1), "*": (0, None), "+": (1, None), "!": (-1, -1)}
    if op in fixed:
        return fixed[op]
    m = _OP_RANGE.match(op)
    if m and (m.group(1) or m.group(3)):
        lo_s, comma, hi_s = m.groups()
        lo = int(lo_s) if lo_s else 0
        if not comma:
            return lo, lo
        hi = int(hi_s) if hi_s else None
        if hi is not None and hi < lo:
            raise ctx.error(f"operator {op!r}: the maximum {hi} is below the minimum {lo}")
        return lo, hi
    raise ctx.error(
        f"unknown operator {op!r}; use '?', '*', '+', '!', '{{n}}', '{{n,}}', '{{,m}}' or '{{n,m}}'"
    )


def expand_op(lo: int, hi: int | None) -> list[int]:
    """Step kinds for a repetition range: {2,4} -> ONE ONE OPT OPT; + -> ONE STAR."""
    if (lo, hi) == (-1, -1):
        return [NEG]
    kinds = [ONE] * lo
    if hi is None:
        kinds.append(STAR)
    else:
        kinds.extend([OPT] * (hi - lo))
    return kinds


def resolve_attr(name: Any, ctx: PatternContext) -> int:
    if not isinstance(name, str):
        raise ctx.error(f"attribute names must be strings, got {name!r}")
    upper = name.upper()
    if upper not in PATTERN_ATTRS:
        raise ctx.error(
            f"unknown token attribute {name!r}.{_closest(upper, [*PATTERN_ATTRS, 'OP', '_'])}"
        )
    return PATTERN_ATTRS[upper]


def _attr_label(attr: int) -> str:
    return A.NAMES.get(attr, str(attr))


def literal_to_int(attr: int, value: Any, ctx: PatternContext) -> list[int]:
    """The int64 column values that a literal pattern value stands for."""
    label = _attr_label(attr)
    if attr == A.MORPH and isinstance(value, (str, dict)):
        if value in ("", {}):
            # "no features": an empty analysis, or a token never analysed.
            return [0, to_i64(hash_string(EMPTY_MORPH))]
        try:
            return [to_i64(hash_string(normalize_feats(value)))]
        except Exception as err:
            raise ctx.error(f"MORPH value {value!r} is not a FEATS string: {err}") from None
    if attr in HASH_ATTRS:
        if isinstance(value, str):
            return [to_i64(hash_string(value))]
        if isinstance(value, int) and not isinstance(value, bool):
            return [to_i64(value & ((1 << 64) - 1))]
        raise ctx.error(f"{label} takes a string value, got {type(value).__name__} {value!r}")
    if attr in ENUM_IDS:
        ids = ENUM_IDS[attr]
        if isinstance(value, str):
            if value not in ids:
                known = ", ".join(repr(n) for n in ENUM_NAMES[attr] if n)
                raise ctx.error(f"{label} value {value!r} is not one of {known}.{_closest(value, ids)}")
            return [ids[value]]
        n_values = N_POS if attr == A.POS else len(IOB_NAMES)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n_values:
            return [value]
        raise ctx.error(f"{label} takes a name such as {ENUM_NAMES[attr][1]!r}, got {value!r}")
    if attr in BOOL_ATTRS:
        if isinstance(value, bool) or value in (0, 1):
            return [int(bool(value))]
        if attr == A.SENT_START and value == -1:
            return [0]
        raise ctx.error(f"{label} takes True or False, got {type(value).__name__} {value!r}")
    if attr in INT_ATTRS:
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        raise ctx.error(f"{label} takes an integer, got {type(value).__name__} {value!r}")
    raise ctx.error(f"attribute {label} cannot be matched on")


def _text_func(attr: int, name: str, arg: Any, ctx: PatternContext) -> Callable[[Any], bool]:
    """A predicate on the string form of a value (REGEX, FUZZY*, set predicates)."""
    if name == "REGEX":
        if not isinstance(arg, str):
            raise ctx.error(f"REGEX takes a string, got {type(arg).__name__} {arg!r}")
        try:
            rx = re.compile(arg)
        except re.error as err:
            raise ctx.error(f"invalid REGEX {arg!r}: {err}") from None
        return lambda text: isinstance(text, str) and rx.search(text) is not None
    if name in FUZZY_PREDICATES:
        max_edits = int(name[5:]) if len(name) > 5 else None
        if isinstance(arg, str):
            return lambda text: isinstance(text, str) and fuzzy_match(text, arg, max_edits)
        if isinstance(arg, dict) and len(arg) == 1 and next(iter(arg)) in ("IN", "NOT_IN"):
            (sub, values), = arg.items()
            if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
                raise ctx.error(f"{name} {sub} takes a list of strings, got {values!r}")
            if sub == "IN":
                return lambda text: isinstance(text, str) and any(
                    fuzzy_match(text, v, max_edits) for v in values)
            return lambda text: isinstance(text, str) and not any(
                fuzzy_match(text, v, max_edits) for v in values)
        raise ctx.error(f"{name} takes a string or {{'IN': [...]}} / {{'NOT_IN': [...]}}, got {arg!r}")
    if name in SET_PREDICATES:
        if not isinstance(arg, (list, tuple)):
            raise ctx.error(f"{name} takes a list, got {type(arg).__name__} {arg!r}")
        if attr == A.MORPH:
            wanted: set = set()
            for feat in arg:
                if not isinstance(feat, str) or "=" not in feat:
                    raise ctx.error(
                        f"{name} on MORPH takes features written 'Field=Value', got {feat!r}"
                    )
                wanted |= morph_features(feat)
            test = _set_predicate(name, wanted)
            return lambda text: test(morph_features(text))
        test = _set_predicate(name, set(arg))
        return lambda text: test(set() if text in (None, "") else {text})
    raise ctx.error(f"unknown predicate {name!r}")


def compile_attr_value(attr: int, value: Any, ctx: PatternContext) -> list[Check]:
    """Checks for one ``ATTR: value`` entry of a token dict."""
    label = _attr_label(attr)
    if not isinstance(value, dict) or (attr == A.MORPH and value and not _looks_like_predicates(value)):
        return [ValueCheck(attr, literal_to_int(attr, value, ctx))]
    checks: list[Check] = []
    for name, arg in value.items():
        if name not in PREDICATES:
            raise ctx.error(
                f"unknown predicate {name!r} for {label}; use one of {', '.join(PREDICATES[:9])}, "
                f"IS_SUBSET, IS_SUPERSET, INTERSECTS or FUZZY.{_closest(str(name).upper(), PREDICATES)}"
            )
        if name in ("IN", "NOT_IN"):
            if not isinstance(arg, (list, tuple, set)):
                raise ctx.error(f"{name} for {label} takes a list, got {type(arg).__name__} {arg!r}")
            ints = [i for v in arg for i in literal_to_int(attr, v, ctx)]
            checks.append(ValueCheck(attr, ints, negate=name == "NOT_IN"))
        elif name in COMPARISONS:
            if attr not in NUMERIC_ATTRS:
                if name in ("==", "!="):
                    checks.append(ValueCheck(attr, literal_to_int(attr, arg, ctx), negate=name == "!="))
                    continue
                raise ctx.error(
                    f"comparison {name!r} needs a numeric attribute (LENGTH, IS_*, LIKE_*, ...), "
                    f"not {label}"
                )
            if isinstance(arg, bool) or not isinstance(arg, (int, float)):
                raise ctx.error(f"comparison {name!r} on {label} takes a number, got {arg!r}")
            checks.append(CompareCheck(attr, name, arg))
        else:
            if attr not in HASH_ATTRS and attr not in ENUM_IDS:
                raise ctx.error(f"{name} applies to string attributes (TEXT, LOWER, TAG, ...), not {label}")
            checks.append(TextCheck(attr, name, arg, _text_func(attr, name, arg, ctx)))
    return checks


def _looks_like_predicates(value: dict) -> bool:
    return any(k in PREDICATES for k in value)


def compile_extension(name: Any, value: Any, ctx: PatternContext) -> list[Check]:
    if not isinstance(name, str):
        raise ctx.error(f"extension attribute names must be strings, got {name!r}")
    if not isinstance(value, dict):
        return [ExtensionCheck(name, "==", value, lambda v, want=value: v == want)]
    checks: list[Check] = []
    for pred, arg in value.items():
        if pred not in PREDICATES:
            raise ctx.error(
                f"unknown predicate {pred!r} for extension '_.{name}'.{_closest(str(pred).upper(), PREDICATES)}"
            )
        func: Callable[[Any], bool]
        if pred in ("IN", "NOT_IN"):
            if not isinstance(arg, (list, tuple, set)):
                raise ctx.error(f"{pred} for '_.{name}' takes a list, got {arg!r}")
            pool = list(arg)
            func = (lambda v, p=pool: v in p) if pred == "IN" else (lambda v, p=pool: v not in p)
        elif pred in COMPARISONS:
            if pred in ("==", "!="):
                cmp = COMPARISONS[pred]
                func = lambda v, c=cmp, a=arg: c(v, a)  # noqa: E731
            else:
                if isinstance(arg, bool) or not isinstance(arg, (int, float)):
                    raise ctx.error(f"comparison {pred!r} on '_.{name}' takes a number, got {arg!r}")
                cmp = COMPARISONS[pred]
                func = lambda v, c=cmp, a=arg: (  # noqa: E731
                    isinstance(v, (int, float)) and not isinstance(v, bool) and c(v, a))
        elif pred in SET_PREDICATES:
            if not isinstance(arg, (list, tuple, set)):
                raise ctx.error(f"{pred} for '_.{name}' takes a list, got {arg!r}")
            test = _set_predicate(pred, set(arg))
            func = lambda v, t=test: t(_as_set(v))  # noqa: E731
        else:
            func = _text_func(A.ORTH, pred, arg, ctx)
        checks.append(ExtensionCheck(name, pred, arg, func))
    return checks


class TokenSpec:
    """One token dict of a pattern, compiled: its checks and repetition range."""

    __slots__ = ("checks", "op", "index")

    def __init__(self, checks: tuple[Check, ...], op: tuple[int, int | None], index: int) -> None:
        self.checks = checks
        self.op = op
        self.index = index


def compile_pattern(key: str, pattern_index: int, pattern: Any) -> list[TokenSpec]:
    """Validate one token pattern and compile it; raises MatchPatternError."""
    ctx = PatternContext(key, pattern_index)
    if isinstance(pattern, dict):
        raise ctx.error(
            "a pattern is a list of token dicts, got one dict; Matcher.add takes a list of "
            "patterns, e.g. [[{'LOWER': 'hello'}, {'LOWER': 'world'}]]"
        )
    if not isinstance(pattern, (list, tuple)):
        raise ctx.error(f"a pattern is a list of token dicts, got {type(pattern).__name__} {_short(pattern)}")
    if not pattern:
        raise ctx.error("the pattern is empty; it needs at least one token dict")
    specs = []
    for t, token in enumerate(pattern):
        tctx = PatternContext(key, pattern_index, t, token)
        if not isinstance(token, dict):
            raise tctx.error(f"each token of a pattern is a dict, got {type(token).__name__}")
        op: tuple[int, int | None] = (1, 1)
        checks: list[Check] = []
        for name, value in token.items():
            if isinstance(name, str) and name.upper() == "OP":
                op = parse_op(value, tctx)
            elif name == "_":
                if not isinstance(value, dict):
                    raise tctx.error(
                        f"'_' takes a dict of extension attributes, e.g. {{'_': {{'is_fruit': True}}}}, got {value!r}"
                    )
                for ext_name, ext_value in value.items():
                    checks.extend(compile_extension(ext_name, ext_value, tctx))
            else:
                attr = resolve_attr(name, tctx)
                checks.extend(compile_attr_value(attr, value, tctx))
        specs.append(TokenSpec(tuple(dict.fromkeys(checks)), op, t))
    if not any(expand_op(*s.op) for s in specs):
        raise ctx.error("every token has a zero-repetition operator, so the pattern matches nothing")
    return specs


def text_of(strings: StringStore, attr: int, value: int) -> str | None:
    """The string a column value stands for (None for an unknown hash)."""
    if attr in ENUM_NAMES:
        names = ENUM_NAMES[attr]
        return names[value] if 0 <= value < len(names) else None
    if attr in HASH_ATTRS:
        return strings.get(value)
    return str(value)
