"""``attribute_ruler``: set token attributes where token patterns match.

A rule is ``{"patterns": [[token dicts], ...], "attrs": {"POS": "AUX", "LEMMA": "be"},
"index": 0}``: wherever one of the patterns matches, the token at ``index`` within the
match (negative counts from the match's end) gets the attributes. Settable attributes:
``TAG``, ``POS`` (a universal tag), ``MORPH`` (a FEATS string or a dict), ``LEMMA``,
``NORM``, and ``"_": {"ext": value}`` for custom token extensions.

When several rules set the same attribute of the same token, the rule added last wins.
Values are applied per attribute with one ``doc.from_array`` per Doc.

Helpers turn older resources into rules: ``load_from_tag_map({"NNS": {"POS": "NOUN",
"Number": "plur"}})`` (keys other than POS and MORPH are morphological features) and
``load_from_morph_rules({"VBZ": {"is": {"LEMMA": "be", "POS": "AUX"}}})``.

Scores ``tag_acc``, ``pos_acc``, ``morph_acc`` and ``lemma_acc`` for the attributes
its rules set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import DataError, MatchPatternError, SerializationError
from treadle.matcher import Matcher
from treadle.pipeline._internal.pipe import Pipe
from treadle.pipeline._internal.serialize import Part, json_codec
from treadle.pipeline.factories import factory
from treadle.scoring import Scorer
from treadle.tokens.attrs import LEMMA, MORPH, NORM, POS, TAG
from treadle.tokens.parts_of_speech import POS_IDS, UPOS_NAMES
from treadle.util import ensure_path

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Token
    from treadle.tokens.example import Example

PATTERNS_FILE = "patterns.json"
# Attribute name -> attribute id, in the order they are written.
SETTABLE: dict[str, int] = {"TAG": TAG, "POS": POS, "MORPH": MORPH, "LEMMA": LEMMA, "NORM": NORM}
# Which score each settable attribute reports (attribute name for score_token_attr).
SCORED: dict[str, str] = {"TAG": "tag_", "POS": "pos_", "MORPH": "morph", "LEMMA": "lemma_"}


def _short(value: Any, limit: int = 120) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class AttributeRuler(Pipe):
    """Sets token attributes from token patterns."""

    def __init__(self, nlp: Language, name: str = "attribute_ruler", *, validate: bool = False) -> None:
        super().__init__(name)
        self.vocab = nlp.vocab
        self.validate = bool(validate)
        self.clear()

    @property
    def _desc(self) -> str:
        return f"attribute_ruler {self.name!r}"

    def clear(self) -> None:
        """Remove every rule."""
        self.matcher = Matcher(self.vocab, validate=self.validate)
        self._rules: list[dict[str, Any]] = []
        # Per rule, the attributes as (attr id, value as int64) pairs, ready for arrays.
        self._compiled: list[list[tuple[int, int]]] = []
        self._extensions: list[dict[str, Any]] = []
        self._key_to_rule: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._rules)

    @property
    def patterns(self) -> list[dict[str, Any]]:
        """Every rule added, as ``{"patterns", "attrs", "index"}`` dicts, in order."""
        return [json.loads(json.dumps(r)) for r in self._rules]

    @property
    def labels(self) -> tuple[str, ...]:
        """The attribute values the rules set (e.g. the POS and TAG values)."""
        values: set[str] = set()
        for rule in self._rules:
            for key, value in rule["attrs"].items():
                if key != "_" and isinstance(value, str):
                    values.add(value)
        return tuple(sorted(values))

    # -- adding rules --

    def add(
        self,
        patterns: Sequence[Sequence[dict[str, Any]]],
        attrs: Mapping[str, Any],
        index: int = 0,
    ) -> None:
        """Add one rule: where any of ``patterns`` matches, set ``attrs`` on the token at
        ``index`` within the match."""
        self._add_rule({"patterns": patterns, "attrs": attrs, "index": index}, len(self._rules))

    def add_patterns(self, patterns: Iterable[Mapping[str, Any]]) -> None:
        """Add rules given as ``{"patterns": [...], "attrs": {...}, "index": 0}``; all are
        checked before any is added."""
        if isinstance(patterns, Mapping):
            raise MatchPatternError(f"{self._desc}: add_patterns expects a list of rules, got one dict")
        rules = list(patterns)
        self._add_located([(f"rule {len(self._rules) + i}", r) for i, r in enumerate(rules)])

    def _add_located(self, items: list[tuple[str, Any]]) -> None:
        """Add rules each named by where it came from (its number, or file and line)."""
        checked = [self._check_rule(r, where) for where, r in items]
        before = len(self._rules)
        try:
            for i, rule in enumerate(checked):
                self._add_checked(rule, before + i, items[i][0])
        except (DataError, MatchPatternError):
            old = self._rules[:before]
            self.clear()
            for i, rule in enumerate(old):
                self._add_checked(rule, i)
            raise

    def _add_rule(self, rule: Mapping[str, Any], n: int) -> None:
        self._add_checked(self._check_rule(rule, f"rule {n}"), n)

    def _check_rule(self, rule: Any, where: str) -> dict[str, Any]:
        where = f"{self._desc}: {where}"
        if not isinstance(rule, Mapping):
            raise MatchPatternError(f"{where}: expected a dict with 'patterns', 'attrs' and 'index', got {_short(rule)}")
        unknown = sorted(set(rule) - {"patterns", "attrs", "index"})
        if unknown:
            raise MatchPatternError(
                f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; a rule has 'patterns', "
                "'attrs' and an optional 'index'"
            )
        attrs = rule.get("attrs")
        if not isinstance(attrs, Mapping) or not attrs:
            raise MatchPatternError(f"{where}: 'attrs' must be a non-empty dict, got {_short(attrs)}")
        where = f"{where} (attrs {_short(dict(attrs), 60)})"
        patterns = rule.get("patterns")
        if (
            not isinstance(patterns, (list, tuple))
            or not patterns
            or not all(isinstance(p, (list, tuple)) and p for p in patterns)
        ):
            raise MatchPatternError(
                f"{where}: 'patterns' must be a non-empty list of token patterns (each a "
                f"non-empty list of token dicts), got {_short(patterns)}"
            )
        for k, p in enumerate(patterns):
            for t, spec in enumerate(p):
                if not isinstance(spec, Mapping):
                    raise MatchPatternError(f"{where}: pattern {k}, token {t} must be a dict, got {_short(spec)}")
        index = rule.get("index", 0)
        if not isinstance(index, int) or isinstance(index, bool):
            raise MatchPatternError(f"{where}: 'index' must be an integer, got {_short(index)}")
        clean: dict[str, Any] = {}
        for key, value in attrs.items():
            name = str(key)
            if name == "_":
                if not isinstance(value, Mapping):
                    raise MatchPatternError(f"{where}: '_' must map extension names to values, got {_short(value)}")
                clean["_"] = dict(value)
                continue
            upper = name.upper()
            if upper == "TEXT" or upper == "ORTH":
                raise MatchPatternError(f"{where}: {name} cannot be changed (it is the token's text)")
            if upper not in SETTABLE:
                raise MatchPatternError(
                    f"{where}: attribute {name!r} cannot be set; settable: "
                    f"{', '.join(SETTABLE)} and '_' (custom extensions)"
                )
            if upper == "MORPH":
                if isinstance(value, Mapping):
                    value = {str(f): v for f, v in value.items()}
                elif value is not None and not isinstance(value, str):
                    raise MatchPatternError(f"{where}: MORPH must be a FEATS string or a dict, got {_short(value)}")
                try:
                    self.vocab.morph_key(value)
                except DataError as err:
                    raise MatchPatternError(f"{where}: {err}") from None
            elif upper == "POS":
                if not isinstance(value, str) or value.upper() not in POS_IDS or not value:
                    raise MatchPatternError(
                        f"{where}: POS {value!r} is not a universal tag ({', '.join(UPOS_NAMES[1:])})"
                    )
                value = value.upper()
            elif not isinstance(value, str):
                raise MatchPatternError(f"{where}: {upper} must be a string, got {_short(value)}")
            clean[upper] = value
        return {"patterns": [[dict(t) for t in p] for p in patterns], "attrs": clean, "index": index}

    def _add_checked(self, rule: dict[str, Any], n: int, where: str | None = None) -> None:
        key = f"{self.name} rule {n}"
        try:
            self.matcher.add(key, rule["patterns"])
        except (DataError, ValueError, KeyError, TypeError) as err:
            where = where or f"rule {n}"
            raise MatchPatternError(
                f"{self._desc}: {where} (attrs {_short(rule['attrs'], 60)}): {err}"
            ) from err
        strings = self.vocab.strings
        compiled: list[tuple[int, int]] = []
        for name, value in rule["attrs"].items():
            if name == "_":
                continue
            attr = SETTABLE[name]
            if attr == POS:
                code = POS_IDS[value]
                strings.add(value)
            elif attr == MORPH:
                code = self.vocab.morph_key(value)
            else:
                code = strings.add(value)
            compiled.append((attr, int(np.uint64(code).view(np.int64))))
        self._rules.append(rule)
        self._compiled.append(compiled)
        self._extensions.append(dict(rule["attrs"].get("_", {})))
        self._key_to_rule[strings.add(key)] = n

    def load_from_tag_map(self, tag_map: Mapping[str, Mapping[str, Any]]) -> None:
        """Rules from a tag map ``{tag: {"POS": upos, feature: value, ...}}``: every token
        with the fine tag gets the POS and the features (as MORPH)."""
        rules = []
        for tag, values in tag_map.items():
            attrs, feats = _split_feats(values)
            if feats:
                attrs["MORPH"] = feats
            if attrs:
                rules.append({"patterns": [[{"TAG": tag}]], "attrs": attrs})
        self.add_patterns(rules)

    def load_from_morph_rules(self, morph_rules: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        """Rules from ``{tag: {word: {"LEMMA": ..., "POS": ..., feature: value}}}``: tokens
        with that text and tag get the attributes."""
        rules = []
        for tag, words in morph_rules.items():
            for word, values in words.items():
                attrs, feats = _split_feats(values)
                if feats:
                    attrs["MORPH"] = feats
                if attrs:
                    rules.append({"patterns": [[{"ORTH": word, "TAG": tag}]], "attrs": attrs})
        self.add_patterns(rules)

    # -- applying --

    def match(self, doc: Doc) -> list[tuple[int, int]]:
        """(rule number, token index) for every match, in the order rules are applied."""
        out: list[tuple[int, int, int]] = []
        for match_id, start, end in self.matcher(doc):
            n = self._key_to_rule[match_id]
            index = self._rules[n]["index"]
            i = start + index if index >= 0 else end + index
            if not start <= i < end:
                raise DataError(
                    f"{self._desc}: rule {n} has index {index}, outside its match "
                    f"{doc[start:end].text!r} (tokens {start}-{end}) of {end - start} token(s)"
                )
            out.append((n, start, i))
        out.sort()
        return [(n, i) for n, _, i in out]

    def __call__(self, doc: Doc) -> Doc:
        if not self._rules or len(doc) == 0:
            return doc
        self.set_annotations(doc, self.match(doc))
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)

    def set_annotations(self, doc: Doc, matches: list[tuple[int, int]]) -> None:
        if not matches:
            return
        # Per attribute, (token, value) in application order; a later write to the same
        # token wins (NumPy assigns repeated indices in order).
        updates: dict[int, tuple[list[int], list[int]]] = {}
        for n, i in matches:
            for attr, value in self._compiled[n]:
                positions, values = updates.setdefault(attr, ([], []))
                positions.append(i)
                values.append(value)
        if updates:
            attr_ids = list(updates)
            array = doc.to_array(attr_ids)
            for k, attr in enumerate(attr_ids):
                positions, values = updates[attr]
                idx = np.asarray(positions, dtype=np.int64)
                vals = np.asarray(values, dtype=np.int64)
                # Keep only the last write per token so the result never depends on
                # how NumPy orders duplicate assignments.
                last = len(idx) - 1 - np.unique(idx[::-1], return_index=True)[1]
                array[idx[last], k] = vals[last]
            doc.from_array(attr_ids, array)
        for n, i in matches:
            for ext, value in self._extensions[n].items():
                try:
                    setattr(doc[i]._, ext, value)
                except AttributeError as err:
                    raise DataError(
                        f"{self._desc}: rule {n} sets token extension {ext!r}, which is not "
                        f"registered (Token.set_extension({ext!r}, default=None)): {err}"
                    ) from None

    # -- initialize and scores --

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        patterns: Sequence[Mapping[str, Any]] | str | Path | None = None,
        tag_map: Mapping[str, Mapping[str, Any]] | None = None,
        morph_rules: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    ) -> None:
        """With any of ``patterns`` (a list or the path of a ``.json``/``.jsonl`` file),
        ``tag_map`` or ``morph_rules``, replace the rules with them."""
        if patterns is None and tag_map is None and morph_rules is None:
            return
        self.clear()
        if patterns is not None:
            where = f"initialize.components.{self.name}.patterns ({self._desc})"
            if isinstance(patterns, (str, Path)):
                self._add_located(read_rules_file(patterns, where))
            elif isinstance(patterns, Mapping) or not isinstance(patterns, Iterable):
                raise DataError(f"{where}: expected a list of rules or a file path, got {type(patterns).__name__}")
            else:
                self.add_patterns(patterns)
        if tag_map is not None:
            self.load_from_tag_map(tag_map)
        if morph_rules is not None:
            self.load_from_morph_rules(morph_rules)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        examples = list(examples)
        kwargs = {k: v for k, v in kwargs.items() if k not in ("getter", "annotation", "missing_values")}
        set_attrs = {name for rule in self._rules for name in rule["attrs"]}
        scores: dict[str, Any] = {}
        for name, attr in SCORED.items():
            if name not in set_attrs:
                continue
            if name == "MORPH":
                scores.update(
                    Scorer.score_token_attr(
                        examples, "morph", getter=_morph_str, annotation="MORPH", **kwargs
                    )
                )
                scores.update(Scorer.score_token_attr_per_feat(examples, "morph", getter=_morph_str))
            else:
                scores.update(Scorer.score_token_attr(examples, attr, **kwargs))
        return scores

    # -- serialization --

    def get_cfg(self) -> dict[str, Any]:
        return {"validate": self.validate}

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        if "validate" in cfg:
            self.validate = bool(cfg["validate"])

    def serialization_parts(self) -> dict[str, Part]:
        rules = Part(
            PATTERNS_FILE, lambda: self.patterns, self._load_rules, codec=json_codec(indent=None)
        )
        return {**super().serialization_parts(), "patterns": rules}

    def _load_rules(self, rules: Any, where: str) -> None:
        if not isinstance(rules, list):
            raise SerializationError(f"{where}: rules must be a list")
        self.clear()
        self.add_patterns(rules)


def _morph_str(token: Token, _attr: str) -> str:
    return str(token.morph)


def _split_feats(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Split a tag-map entry into settable attributes and morphological features."""
    attrs: dict[str, Any] = {}
    feats: dict[str, str] = {}
    for key, value in values.items():
        upper = str(key).upper()
        if upper in SETTABLE or key == "_":
            attrs[upper if key != "_" else "_"] = value
        else:
            feats[str(key)] = str(value)
    return attrs, feats


def read_rules_file(path: str | Path, where: str = "") -> list[tuple[str, Any]]:
    """Rules from a ``.json`` file (a list) or a ``.jsonl`` file (one rule a line), each
    with where it came from ("FILE, line N" / "FILE, rule N") for error messages."""
    path = ensure_path(path)
    prefix = f"{where}: " if where else ""
    if not path.is_file():
        raise DataError(f"{prefix}rule file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf8")
    if path.suffix == ".jsonl":
        rules = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rules.append((f"{path}, line {lineno}", json.loads(line)))
            except json.JSONDecodeError as err:
                raise DataError(f"{prefix}{path}, line {lineno}: invalid JSON ({err.msg})") from None
        return rules
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{prefix}{path}, line {err.lineno}: invalid JSON ({err.msg})") from None
    if not isinstance(data, list):
        raise DataError(f"{prefix}{path}: expected a JSON list of rules")
    return [(f"{path}, rule {i}", rule) for i, rule in enumerate(data)]


@factory(
    "attribute_ruler",
    assigns=[],
    default_config={"validate": False},
    # Shown in the training table but not weighted: a ruler's rules don't change during
    # training, and a low score for an attribute it barely touches (lemmas fixed for
    # a handful of words) would only drag the combined score down.
    default_score_weights={"tag_acc": 0.0, "pos_acc": 0.0, "morph_acc": 0.0, "lemma_acc": 0.0},
)
def make_attribute_ruler(nlp: Language, name: str, validate: bool = False) -> AttributeRuler:
    return AttributeRuler(nlp, name, validate=validate)
