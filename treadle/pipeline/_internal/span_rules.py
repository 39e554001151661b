"""The pattern machinery of ``span_ruler`` and ``entity_ruler``: span filters,
pattern validation and files, and :class:`BaseSpanRuler` (a Matcher plus a
PhraseMatcher over the pipeline's vocab, and the saved patterns).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treadle.config import registry
from treadle.errors import ConfigError, DataError, MatchPatternError, SerializationError
from treadle.matcher import Matcher, PhraseMatcher
from treadle.pipeline._internal.pipe import Pipe
from treadle.pipeline._internal.serialize import Codec, Part
from treadle.tokens import Span
from treadle.tokens.attrs import IDS as ATTR_IDS
from treadle.tokens.attrs import NAMES
from treadle.util import ensure_path

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc
    from treadle.tokens.example import Example

PATTERNS_FILE = "patterns.jsonl"
DEFAULT_SPANS_KEY = "ruler"
# Attributes a phrase pattern can be matched on that need annotation from the
# components before the ruler (the pattern text is run through them too).
ANNOTATED_ATTRS = frozenset({"TAG", "POS", "MORPH", "LEMMA", "DEP", "ENT_TYPE", "SENT_START"})

SpansFilter = Callable[[Iterable[Span], Iterable[Span]], Iterable[Span]]


# ----------------------------------------------------------------------- filters


def longest_first(bounds: Sequence[tuple[int, int]], taken: bytearray | None = None) -> list[int]:
    """Indices of non-overlapping (start, end) ranges, chosen longest first, then
    earliest; ranges touching a token already marked in ``taken`` are skipped, and the
    chosen ones are marked there. Returned in document order."""
    if taken is None:
        taken = bytearray(max((e for _, e in bounds), default=0))
    order = sorted(range(len(bounds)), key=lambda k: (bounds[k][0] - bounds[k][1], bounds[k]))
    kept = []
    for k in order:
        start, end = bounds[k]
        if start >= end or any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append(k)
    kept.sort(key=lambda k: bounds[k])
    return kept


def filter_longest_first(spans: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans: longest first, then earliest; result in document order."""
    spans = list(spans)
    return [spans[k] for k in longest_first([(s.start, s.end) for s in spans])]


def _overlaps_any(span: Span, covered: set[int]) -> bool:
    return any(i in covered for i in range(span.start, span.end))


def _covered(spans: Iterable[Span]) -> set[int]:
    out: set[int] = set()
    for span in spans:
        out.update(range(span.start, span.end))
    return out


def first_longest_spans_filter(group1: Iterable[Span], group2: Iterable[Span]) -> list[Span]:
    """Both groups together, overlaps resolved longest-first then earliest."""
    return filter_longest_first([*group1, *group2])


def prioritize_new_ents_filter(entities: Iterable[Span], spans: Iterable[Span]) -> list[Span]:
    """New spans (overlaps among them resolved longest-first) replace the existing
    entities they overlap; the other existing entities stay."""
    new = filter_longest_first(spans)
    covered = _covered(new)
    kept = [e for e in entities if not _overlaps_any(e, covered)]
    return sorted([*kept, *new], key=lambda s: (s.start, s.end))


def prioritize_existing_ents_filter(entities: Iterable[Span], spans: Iterable[Span]) -> list[Span]:
    """Existing entities win: new spans that overlap one are dropped."""
    entities = list(entities)
    covered = _covered(entities)
    new = filter_longest_first(s for s in spans if not _overlaps_any(s, covered))
    return sorted([*entities, *new], key=lambda s: (s.start, s.end))


@registry.misc("treadle.first_longest_spans_filter.v1")
def make_first_longest_spans_filter() -> SpansFilter:
    return first_longest_spans_filter


@registry.misc("treadle.prioritize_new_ents_filter.v1")
def make_prioritize_new_ents_filter() -> SpansFilter:
    return prioritize_new_ents_filter


@registry.misc("treadle.prioritize_existing_ents_filter.v1")
def make_prioritize_existing_ents_filter() -> SpansFilter:
    return prioritize_existing_ents_filter


# ----------------------------------------------------------------------- patterns


def validate_pattern(pattern: Any, where: str) -> dict[str, Any]:
    """Check one ruler pattern's shape; returns a normalized copy
    ``{"label", "pattern"[, "id"]}``. Raises MatchPatternError naming ``where``. (The
    token dicts themselves are checked by the Matcher when the pattern is added.)"""
    if not isinstance(pattern, dict):
        raise MatchPatternError(
            f"{where}: a pattern must be a dict with 'label' and 'pattern', got "
            f"{type(pattern).__name__} {_short(pattern)}"
        )
    unknown = sorted(set(pattern) - {"label", "pattern", "id"})
    if unknown:
        raise MatchPatternError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} in pattern "
            f"{_short(pattern)}; a pattern has 'label', 'pattern' and an optional 'id'"
        )
    label = pattern.get("label")
    if not isinstance(label, str) or not label:
        raise MatchPatternError(f"{where}: 'label' must be a non-empty string in pattern {_short(pattern)}")
    where = f"{where} (label {label!r})"
    if "pattern" not in pattern:
        raise MatchPatternError(f"{where}: the pattern has no 'pattern' key: {_short(pattern)}")
    body = pattern["pattern"]
    if isinstance(body, str):
        if not body.strip():
            raise MatchPatternError(f"{where}: a phrase pattern must not be empty")
    elif isinstance(body, list):
        if not body:
            raise MatchPatternError(f"{where}: a token pattern must have at least one token dict")
        for i, spec in enumerate(body):
            if not isinstance(spec, dict):
                raise MatchPatternError(
                    f"{where}: token {i} of the pattern must be a dict of token attributes "
                    f"(e.g. {{\"LOWER\": \"apple\"}}), got {_short(spec)}"
                )
    else:
        raise MatchPatternError(
            f"{where}: 'pattern' must be a string (phrase) or a list of token dicts, got "
            f"{type(body).__name__} {_short(body)}"
        )
    out: dict[str, Any] = {"label": label, "pattern": body}
    if pattern.get("id") not in (None, ""):
        pid = pattern["id"]
        if not isinstance(pid, (str, int)) or isinstance(pid, bool):
            raise MatchPatternError(f"{where}: 'id' must be a string, got {_short(pid)}")
        out["id"] = str(pid)
    return out


def _short(value: Any, limit: int = 120) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_jsonl_patterns(path: str | Path, where: str = "") -> list[dict[str, Any]]:
    """Patterns from a ``.jsonl`` file (one JSON object a line, blank lines skipped) or a
    ``.json`` file holding a list. Errors name the file and line."""
    path = ensure_path(path)
    prefix = f"{where}: " if where else ""
    if not path.exists():
        raise DataError(f"{prefix}pattern file {str(path)!r} does not exist")
    if path.is_dir():
        raise DataError(f"{prefix}{str(path)!r} is a folder; expected a .jsonl file of patterns")
    text = path.read_text(encoding="utf8")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataError(f"{prefix}{path}, line {err.lineno}: invalid JSON ({err.msg})") from None
        if not isinstance(data, list):
            raise DataError(f"{prefix}{path}: expected a JSON list of patterns, got {type(data).__name__}")
        return [validate_pattern(p, f"{prefix}{path}, pattern {i}") for i, p in enumerate(data)]
    return parse_jsonl_patterns(text, f"{prefix}{path}")


def parse_jsonl_patterns(text: str, where: str) -> list[dict[str, Any]]:
    """Patterns from JSONL text (one JSON object a line, blank lines skipped); errors
    name ``where`` and the line."""
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(
                f"{where}, line {lineno}: invalid JSON ({err.msg}): {line.strip()[:80]!r}"
            ) from None
        out.append(validate_pattern(data, f"{where}, line {lineno}"))
    return out


def patterns_from_setting(value: Any, where: str) -> list[Any]:
    """A ``patterns`` setting: a list of patterns, or the path of a pattern file."""
    if isinstance(value, (str, Path)):
        return read_jsonl_patterns(value, where)
    if isinstance(value, dict) or not isinstance(value, Iterable):
        raise DataError(
            f"{where}: patterns must be a list of pattern dicts or the path of a .jsonl file, "
            f"got {type(value).__name__}"
        )
    return list(value)


def _encode_jsonl(rows: Iterable[Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf8")


def _decode_patterns(data: bytes, where: str) -> list[dict[str, Any]]:
    try:
        return parse_jsonl_patterns(data.decode("utf8"), where)
    except UnicodeDecodeError as err:
        raise SerializationError(f"{where}: not UTF-8 text ({err})") from None
    except (DataError, MatchPatternError) as err:
        raise SerializationError(str(err)) from None


# The saved patterns: one JSON object a line, read back with the line of any bad one.
PATTERNS_CODEC = Codec(_encode_jsonl, _decode_patterns)


# ----------------------------------------------------------------------- the ruler


class BaseSpanRuler(Pipe):
    """Patterns, matchers and serialization shared by ``span_ruler`` and
    ``entity_ruler``. Subclasses decide where matches are written."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        phrase_matcher_attr: str | int | None = None,
        validate: bool = False,
    ) -> None:
        super().__init__(name)
        self._nlp = nlp
        self.vocab = nlp.vocab
        self.validate = bool(validate)
        self._patterns: list[dict[str, Any]] = []
        self.phrase_matcher_attr = _check_attr(phrase_matcher_attr, self._desc)
        self._new_matchers()

    @property
    def _desc(self) -> str:
        return f"{type(self).__name__.lower().replace('ruler', '_ruler')} {self.name!r}"

    # -- matchers --

    def _new_matchers(self) -> None:
        self.matcher = Matcher(self.vocab, validate=self.validate)
        attr = self.phrase_matcher_attr or "ORTH"
        self.phrase_matcher = PhraseMatcher(self.vocab, attr=attr)
        # match_id (the key's hash) -> (label, id); one key per (label, id) pair.
        self._keys: dict[int, tuple[str, str]] = {}
        self._key_hashes: dict[int, tuple[int, int]] = {}  # the same as string hashes

    def _key_for(self, label: str, pid: str) -> str:
        # A JSON pair cannot collide with another label/id combination.
        return json.dumps([label, pid], ensure_ascii=False)

    def _phrase_docs(self, texts: list[str]) -> list[Doc]:
        nlp = self._nlp
        docs = [nlp.make_doc(t) for t in texts]
        if self.phrase_matcher_attr in ANNOTATED_ATTRS:
            # Patterns matched on annotations need the same annotations: run the
            # components before this one over the pattern texts.
            for pname, proc in nlp.pipeline:
                if pname == self.name:
                    break
                docs = [proc(d) for d in docs]
        return docs

    # -- patterns --

    @property
    def patterns(self) -> list[dict[str, Any]]:
        """Every pattern added, in order (copies)."""
        return [dict(p) for p in self._patterns]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({p["label"] for p in self._patterns}))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted({p["id"] for p in self._patterns if "id" in p}))

    def __len__(self) -> int:
        return len(self._patterns)

    def __contains__(self, label: object) -> bool:
        return any(p["label"] == label for p in self._patterns)

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        """Add patterns; all are checked before any is added, so a bad one leaves the
        ruler unchanged. Errors name the pattern (its position in ``patterns``), its
        label and the component."""
        if isinstance(patterns, dict):
            raise MatchPatternError(f"{self._desc}: add_patterns expects a list of patterns, got one dict")
        checked = [
            p if _is_checked(p) else validate_pattern(p, f"{self._desc}: pattern {i}")
            for i, p in enumerate(patterns)
        ]
        phrases: dict[str, list[tuple[int, str]]] = {}
        tokens: dict[str, list[tuple[int, list[dict]]]] = {}
        for i, p in enumerate(checked):
            key = self._key_for(p["label"], p.get("id", ""))
            if isinstance(p["pattern"], str):
                phrases.setdefault(key, []).append((i, p["pattern"]))
            else:
                tokens.setdefault(key, []).append((i, p["pattern"]))
        # Token patterns one by one so an error names the pattern that caused it.
        try:
            for key, items in tokens.items():
                for i, body in items:
                    self._add_to(self.matcher, key, [body], checked[i], i)
            for key, items in phrases.items():
                texts = [t for _, t in items]
                docs = self._phrase_docs(texts)
                for (i, _), doc in zip(items, docs, strict=True):
                    if len(doc) == 0:
                        raise MatchPatternError(
                            f"{self._desc}: pattern {i} (label {checked[i]['label']!r}) "
                            "tokenizes to nothing"
                        )
                    self._add_to(self.phrase_matcher, key, [doc], checked[i], i)
        except Exception:
            # Leave the ruler as it was: rebuild the matchers from the old patterns.
            old = self._patterns
            self._patterns = []
            self._new_matchers()
            self.add_patterns(old)
            raise
        for p in checked:
            key = self._key_for(p["label"], p.get("id", ""))
            label, pid = p["label"], p.get("id", "")
            match_id = self.vocab.strings.add(key)
            self._keys[match_id] = (label, pid)
            strings = self.vocab.strings
            self._key_hashes[match_id] = (strings.add(label), strings.add(pid) if pid else 0)
            self._patterns.append(_mark_checked(p))

    def _add_to(
        self, matcher: Matcher | PhraseMatcher, key: str, items: list[Any], pattern: dict, index: int
    ) -> None:
        try:
            matcher.add(key, items)
        except (DataError, ValueError, KeyError, TypeError) as err:
            raise MatchPatternError(
                f"{self._desc}: pattern {index} (label {pattern['label']!r}"
                f"{', id ' + repr(pattern['id']) if 'id' in pattern else ''}) is invalid: {err}"
            ) from err

    def add_pattern_file(self, path: str | Path) -> None:
        self.add_patterns(read_jsonl_patterns(path, self._desc))

    def _remove_where(self, keep: Callable[[dict[str, Any]], bool], what: str) -> None:
        remaining = [p for p in self._patterns if keep(p)]
        if len(remaining) == len(self._patterns):
            raise DataError(f"{self._desc}: no pattern with {what}")
        self._patterns = []
        self._new_matchers()
        self.add_patterns(remaining)

    def remove_by_label(self, label: str) -> None:
        """Remove every pattern with this label."""
        self._remove_where(lambda p: p["label"] != label, f"label {label!r}")

    def remove_by_id(self, pattern_id: str) -> None:
        """Remove every pattern with this id."""
        self._remove_where(lambda p: p.get("id") != pattern_id, f"id {pattern_id!r}")

    def clear(self) -> None:
        """Remove every pattern."""
        self._patterns = []
        self._new_matchers()

    # -- matching --

    def raw_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """``(start, end, match_id)`` of every match, each once, in document order
        (ties by label and id); ``match_id`` keys ``self.match_key_info``."""
        if not self._patterns:
            return []
        found = {(s, e, m) for m, s, e in self.matcher(doc)}
        found.update((s, e, m) for m, s, e in self.phrase_matcher(doc))
        keys = self._keys
        return sorted(found, key=lambda t: (t[0], t[1], keys[t[2]]))

    def match_key_info(self, match_id: int) -> tuple[str, str]:
        """The (label, id) of a match id."""
        return self._keys[match_id]

    def _span(self, doc: Doc, match: tuple[int, int, int]) -> Span:
        label, pid = self._key_hashes[match[2]]
        return Span(doc, match[0], match[1], label=label, span_id=pid)

    def match(self, doc: Doc) -> list[Span]:
        """The pattern matches as Spans (label and id set), overlaps included, in
        document order, each (start, end, label, id) once."""
        return [self._span(doc, m) for m in self.raw_matches(doc)]

    def _set_ents_from_matches(
        self, doc: Doc, matches: list[tuple[int, int, int]], *, prefer_new: bool
    ) -> None:
        """The built-in entity filters on plain tuples (Spans made only for the
        matches kept): matches overlap-resolved longest first; then either they replace
        the existing entities they touch (``prefer_new``) or those entities block them."""
        existing = list(doc.ents)
        taken = bytearray(len(doc))
        bounds = [(s, e) for s, e, _ in matches]
        if prefer_new:
            kept = longest_first(bounds, taken)
            existing = [e for e in existing if not any(taken[e.start : e.end])]
        else:
            for ent in existing:
                taken[ent.start : ent.end] = b"\x01" * (ent.end - ent.start)
            kept = longest_first(bounds, taken)
        new = [self._span(doc, matches[k]) for k in kept]
        # Like ``doc.ents = ...``: every token outside the entities becomes "O". A
        # statistical ner later in the pipeline keeps these entities and labels the
        # rest itself.
        doc.set_ents(sorted([*existing, *new], key=lambda x: x.start), default="outside")

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.match(doc))
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)

    def set_annotations(self, doc: Doc, spans: list[Span]) -> None:
        raise NotImplementedError

    def _set_ents(self, doc: Doc, new: list[Span], ents_filter: SpansFilter) -> None:
        existing = list(doc.ents)
        final = sorted(ents_filter(existing, new), key=lambda s: (s.start, s.end))
        # Like ``doc.ents = ...``: every token outside the entities becomes "O". A
        # statistical ner later in the pipeline keeps these entities and labels the
        # rest itself.
        doc.set_ents(final, default="outside")

    # -- initialize --

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        patterns: Sequence[dict[str, Any]] | str | Path | None = None,
    ) -> None:
        """With ``patterns`` (a list, or the path of a ``.jsonl``/``.json`` file), replace
        the ruler's patterns with them; without, keep the patterns it has."""
        if patterns is None:
            return
        loaded = patterns_from_setting(
            patterns, f"initialize.components.{self.name}.patterns ({self._desc})"
        )
        self.clear()
        self.add_patterns(loaded)

    # -- settings and serialization --

    def get_cfg(self) -> dict[str, Any]:
        return {"phrase_matcher_attr": self.phrase_matcher_attr, "validate": self.validate}

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        if "validate" in cfg:
            self.validate = bool(cfg["validate"])
        if "phrase_matcher_attr" in cfg:
            self.phrase_matcher_attr = _check_attr(cfg["phrase_matcher_attr"], self._desc)
        # Settings decide how patterns are compiled: rebuild.
        patterns = self._patterns
        self._patterns = []
        self._new_matchers()
        self.add_patterns(patterns)

    def serialization_parts(self) -> dict[str, Part]:
        # After cfg: phrase_matcher_attr decides how the patterns are compiled.
        patterns = Part(
            PATTERNS_FILE, lambda: self.patterns, self._load_patterns, codec=PATTERNS_CODEC
        )
        return {**super().serialization_parts(), "patterns": patterns}

    def _load_patterns(self, patterns: Any, where: str) -> None:
        if not isinstance(patterns, list):
            raise SerializationError(
                f"{where}: expected a list of patterns, got {type(patterns).__name__}"
            )
        self.clear()
        self.add_patterns(
            validate_pattern(p, f"{where}, pattern {i}") for i, p in enumerate(patterns)
        )


# ----------------------------------------------------------------------- helpers


def _check_attr(attr: str | int | None, desc: str) -> str | None:
    """``phrase_matcher_attr`` as an attribute name (None for ORTH's default)."""
    if attr is None:
        return None
    if isinstance(attr, int) and not isinstance(attr, bool):
        if attr in NAMES:
            return NAMES[attr]
    elif isinstance(attr, str) and attr.upper() in ATTR_IDS:
        name = attr.upper()
        return "ORTH" if name == "TEXT" else name
    raise ConfigError(
        f"{desc}: phrase_matcher_attr = {attr!r} is not a token attribute (use e.g. "
        "\"ORTH\", \"LOWER\", \"NORM\", \"LEMMA\", or null for ORTH)"
    )


class _Checked(dict):
    """A pattern dict that already passed validate_pattern (re-adding skips the check)."""


def _mark_checked(p: dict[str, Any]) -> dict[str, Any]:
    return _Checked(p)


def _is_checked(p: Any) -> bool:
    return isinstance(p, _Checked)
