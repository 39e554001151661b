"""Data augmenters: ``augmenter(nlp, example) -> Iterable[Example]``, set as
``[corpora.train] augmenter``.

- ``treadle.lower_case.v1``: lowercases a share ``level`` of the Examples.
- ``treadle.orth_variants.v1``: swaps punctuation for a variant with the same tag
  (``"`` for ``“``, ``...`` for ``…``) in a share ``level`` of the Examples, and
  lowercases a share ``lower`` of those; the table comes from the config, e.g.
  ``treadle.en_orth_variants.v1`` (``@misc``).
- ``treadle.whitespace_variants.v1``: inserts whitespace tokens (tag ``_SP``, POS
  ``SPACE``, attached to the token before them with ``dep``) into a share ``level``.
- ``treadle.combined_augmenter.v1``: the three in a row; ``chain_augmenters`` chains any.

Each augmenter yields one Example per Example (augmented or not). The augmented
reference keeps every token annotation of the original (tags, POS, morphology,
lemmas, heads and labels, sentence starts, entities, span groups) and the cats; its
predicted Doc has the same text, tokenized as the original's was (the gold words when
the original predicted Doc had them, ``nlp.make_doc`` otherwise). NORM overrides and
``user_data`` are not carried over.

Randomness comes from the augmenter's own ``random.Random``: ``augmenter.seed(n)``
makes what follows reproducible. The training loop reseeds it from ``training.seed``
and the epoch before each pass over the corpus (``stream_seed``), so every epoch is
augmented anew and a resumed run sees the same Examples as an uninterrupted one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.config import registry
from treadle.errors import ConfigError
from treadle.tokens import Doc, Span, SpanGroup
from treadle.tokens import attrs as A
from treadle.tokens.example import Example
from treadle.tokens.parts_of_speech import UPOS_NAMES

if TYPE_CHECKING:
    from treadle.language import Language

Augment = Callable[["Language", Example, random.Random], Example]
"""One augmentation of one Example, drawing from the given generator."""

# The token annotation an augmented reference keeps (lexical attributes come from the
# new words).
TOKEN_ATTRS = (
    A.TAG, A.POS, A.MORPH, A.LEMMA, A.HEAD, A.DEP, A.SENT_START,
    A.ENT_IOB, A.ENT_TYPE, A.ENT_ID, A.ENT_KB_ID,
)  # fmt: skip
_COL = {attr: k for k, attr in enumerate(TOKEN_ATTRS)}
SPACE_TAG = "_SP"
SPACE_POS = "SPACE"
SPACE_DEP = "dep"
_SEED_MASK = 0xFFFFFFFF


# ---------------------------------------------------------------------- randomness


class RandomAugmenter:
    """An augmenter with its own seedable generator: each Example is augmented with
    probability ``level``, else passed through."""

    def __init__(self, augment: Augment, level: float, *, name: str, seed: int = 0) -> None:
        self.augment = augment
        self.level = _check_level(level, name, "level")
        self.name = name
        self.rng = random.Random(seed)

    def __repr__(self) -> str:
        return f"<{self.name} level={self.level}>"

    def seed(self, seed: int) -> None:
        self.rng.seed(seed)

    def __call__(self, nlp: Language, example: Example) -> Iterator[Example]:
        # One draw per Example whatever the level, so levels change which Examples are
        # augmented but not the draws that follow.
        if self.rng.random() < self.level:
            yield self.augment(nlp, example, self.rng)
        else:
            yield example


class ChainedAugmenter:
    """Augmenters applied in turn, each to every Example the previous one produced."""

    def __init__(self, augmenters: Sequence[Callable[[Any, Example], Iterable[Example]]]) -> None:
        self.augmenters = list(augmenters)
        self.seed(0)

    def __repr__(self) -> str:
        return f"<ChainedAugmenter {self.augmenters!r}>"

    def seed(self, seed: int) -> None:
        # Each part its own stream, so a part's draws don't depend on how many the
        # others made.
        for k, augmenter in enumerate(self.augmenters):
            seed_augmenter(augmenter, derive_seed(seed, k))

    def __call__(self, nlp: Language, example: Example) -> Iterator[Example]:
        examples: Iterable[Example] = (example,)
        for augmenter in self.augmenters:
            examples = [out for eg in examples for out in augmenter(nlp, eg)]
        yield from examples


def chain_augmenters(*augmenters: Callable[[Any, Example], Iterable[Example]]) -> ChainedAugmenter:
    """One augmenter running ``augmenters`` in order (seeding reaches each of them)."""
    return ChainedAugmenter(augmenters)


def seed_augmenter(augmenter: Any, seed: int) -> bool:
    """Reseed ``augmenter`` if it can be (has a ``seed(int)`` method); returns whether
    it could. A plain function is left alone: its randomness is its own business."""
    method = getattr(augmenter, "seed", None)
    if not callable(method):
        return False
    method(seed)
    return True


def derive_seed(seed: int, *keys: int) -> int:
    return int(np.random.SeedSequence([seed & _SEED_MASK, *keys]).generate_state(1)[0])


def stream_seed(seed: int | None, epoch: int | None) -> int:
    """The augmentation seed of one pass over the training corpus: epoch ``epoch`` of
    training, or (``None``) the passes initialization makes."""
    base = 0 if seed is None else seed
    return derive_seed(base, 0) if epoch is None else derive_seed(base, 1, epoch)


def reader_augmenter(reader: Any) -> Any:
    """The augmenter a corpus reader applies, or None."""
    return getattr(reader, "augmenter", None)


def _check_level(value: float, name: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name}: {key} must be a share between 0 and 1, got {value!r}.")
    return float(value)


# ---------------------------------------------------------------------- rebuilding Docs


def _with_tokens(
    nlp: Language,
    example: Example,
    words: list[str],
    spaces: list[bool],
    rows: np.ndarray,
    index: np.ndarray | None = None,
) -> Example:
    """The Example with reference tokens ``words``/``spaces`` annotated by ``rows``
    (TOKEN_ATTRS columns). ``index``: the new position of each old token (None when
    the tokens stayed where they were), to move the span groups."""
    ref = example.reference
    new_ref = Doc(ref.vocab, words=words, spaces=spaces)
    if words:
        new_ref.from_array(list(TOKEN_ATTRS), rows)
    if ref.spans:
        if index is None:
            new_ref.spans = ref.spans.copy(new_ref)
        else:
            # A span starts where its first token went and ends after its last one
            # (an empty one stays empty, a whitespace token before it is left out).
            starts = np.append(index, len(new_ref))
            ends = np.append(0, index + 1)
            for key, group in ref.spans.items():
                spans = [
                    Span(
                        new_ref,
                        int(starts[s.start]),
                        int(max(starts[s.start], ends[s.end])),
                        s.label,
                        s.kb_id,
                        s.id,
                    )  # fmt: skip
                    for s in group
                ]
                new_ref.spans[key] = SpanGroup(new_ref, name=key, attrs=group.attrs, spans=spans)
    new_ref.cats = dict(ref.cats)
    return Example(_predicted_for(nlp, example, new_ref), new_ref)


def _predicted_for(nlp: Language, example: Example, reference: Doc) -> Doc:
    """A predicted Doc for ``reference``, tokenized the way ``example``'s was."""
    pred, ref = example.predicted, example.reference
    if pred.words == ref.words and pred.spaces == ref.spaces:
        return Doc(reference.vocab, words=reference.words, spaces=reference.spaces)
    return nlp.make_doc(reference.text)


def replace_words(nlp: Language, example: Example, words: list[str]) -> Example:
    """``example`` with its reference tokens' texts replaced one for one."""
    ref = example.reference
    if len(words) != len(ref):
        raise ValueError(f"replace_words: {len(words)} words for {len(ref)} tokens")
    return _with_tokens(nlp, example, words, list(ref.spaces), ref.to_array(list(TOKEN_ATTRS)))


def insert_whitespace(nlp: Language, example: Example, after: Mapping[int, str]) -> Example:
    """``example`` with a whitespace token ``after[i]`` after reference token ``i``
    (whose trailing space stays before it). The token is tagged ``_SP``, POS
    ``SPACE``, lemma its own text, and attached to token ``i`` as ``dep``: a leaf
    next to its head, so the tree stays a (projective, if it was) tree. Each
    annotation it gets only where the Doc has that annotation. Take the positions
    from ``whitespace_positions``: elsewhere the tokenizer may not find the token again
    (or an entity or span would take it in)."""
    ref = example.reference
    n = len(ref)
    positions = sorted(after)
    if any(not 0 <= p < n for p in positions):
        raise ValueError(f"insert_whitespace: positions {positions} outside 0..{n - 1}")
    rows = ref.to_array(list(TOKEN_ATTRS))
    # The new position of each old token, then absolute heads mapped through it.
    shift = np.zeros(n, dtype=np.int64)
    for p in positions:
        shift[p + 1 :] += 1
    index = np.arange(n) + shift
    heads = rows[:, _COL[A.HEAD]] + np.arange(n)
    rows[:, _COL[A.HEAD]] = index[heads] - index
    new_rows = np.zeros((n + len(positions), len(TOKEN_ATTRS)), dtype=np.int64)
    new_rows[index] = rows
    words, spaces = list(ref.words), list(ref.spaces)
    new_words: list[str] = []
    new_spaces: list[bool] = []
    for i in range(n):
        new_words.append(words[i])
        new_spaces.append(spaces[i])
        if i in after:
            new_words.append(after[i])
            new_spaces.append(False)
    strings = ref.vocab.strings
    has = {attr: bool(rows[:, _COL[attr]].any()) for attr in (A.TAG, A.POS, A.MORPH, A.LEMMA)}
    has_parse = bool(rows[:, _COL[A.DEP]].any())
    has_sents = bool(rows[:, _COL[A.SENT_START]].any())
    for p in positions:
        row = new_rows[index[p] + 1]
        if has[A.TAG]:
            row[_COL[A.TAG]] = _i64(strings.add(SPACE_TAG))
        if has[A.POS]:
            row[_COL[A.POS]] = UPOS_NAMES.index(SPACE_POS)
        if has[A.MORPH]:
            row[_COL[A.MORPH]] = _i64(ref.vocab.morph_key(""))
        if has[A.LEMMA]:
            row[_COL[A.LEMMA]] = _i64(strings.add(after[p]))
        if has_parse and rows[p, _COL[A.DEP]] != 0:
            row[_COL[A.HEAD]] = -1
            row[_COL[A.DEP]] = _i64(strings.add(SPACE_DEP))
        if has_sents:
            row[_COL[A.SENT_START]] = -1
        if rows[p, _COL[A.ENT_IOB]] != 0:
            row[_COL[A.ENT_IOB]] = 2  # O: never inside an entity (see whitespace_positions)
    return _with_tokens(nlp, example, new_words, new_spaces, new_rows, index)


def whitespace_positions(doc: Doc) -> list[int]:
    """Tokens after which a whitespace token can go and the tokenizer would find it
    again: followed by a space, between two non-space tokens, inside no entity and
    no span of a span group."""
    n = len(doc)
    words, spaces = doc.words, doc.spaces
    iob = doc.to_array(A.ENT_IOB)
    inside: set[int] = set()
    for group in doc.spans.values():
        for span in group:
            inside.update(range(span.start, span.end - 1))
    return [
        i
        for i in range(n - 1)
        if spaces[i]
        and not words[i].isspace()
        and not words[i + 1].isspace()
        and iob[i + 1] != 1  # the next token continues an entity
        and i not in inside
    ]


def _i64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


# ---------------------------------------------------------------------- augmentations


def lower_case(nlp: Language, example: Example, rng: random.Random | None = None) -> Example:
    """``example`` lowercased (every annotation kept, lemmas included)."""
    return replace_words(nlp, example, [w.lower() for w in example.reference.words])


class OrthVariants:
    """An orth-variant table, checked: ``{"single": [{"tags": [...], "variants":
    [...]}], "paired": [{"tags": [...], "variants": [[open, close], ...]}]}``. An entry
    applies to tokens whose text is one of its variants and whose tag is one of its
    ``tags`` (any tag without ``tags``). A paired entry's two tags tell an opening
    mark from a closing one where the text cannot (``"``): see ``_roles``."""

    def __init__(self, table: Mapping[str, Any], *, name: str) -> None:
        if not isinstance(table, Mapping) or set(table) - {"single", "paired"}:
            raise ConfigError(
                f'{name}: orth_variants must be a dict with the keys "single" and/or '
                f'"paired", got {_brief(table)}.'
            )
        self.single = [
            self._entry(e, name, "single", k) for k, e in enumerate(table.get("single") or [])
        ]
        self.paired = [
            (*self._entry(e, name, "paired", k), _roles(e.get("tags")))
            for k, e in enumerate(table.get("paired") or [])
        ]

    @staticmethod
    def _entry(entry: Any, name: str, kind: str, k: int) -> tuple[frozenset[str] | None, list[Any]]:
        where = f'{name}: orth_variants["{kind}"][{k}]'
        if not isinstance(entry, Mapping) or "variants" not in entry:
            raise ConfigError(
                f'{where} must be a dict with "variants" (and "tags"), got {_brief(entry)}.'
            )
        tags = entry.get("tags")
        variants = list(entry["variants"])
        if kind == "single":
            ok = variants and all(isinstance(v, str) and v for v in variants)
            shape = "non-empty strings"
        else:
            ok = variants and all(
                isinstance(v, (list, tuple))
                and len(v) == 2
                and all(isinstance(s, str) and s for s in v)
                for v in variants
            )
            shape = "[open, close] pairs of non-empty strings"
            variants = [tuple(v) for v in variants]
        if not ok:
            raise ConfigError(
                f'{where}["variants"] must be a list of {shape}, got {_brief(variants)}.'
            )
        if any(any(c.isspace() for c in "".join(v)) for v in variants):
            raise ConfigError(f'{where}["variants"]: a variant cannot hold whitespace.')
        return (frozenset(tags) if tags else None), variants

    def apply(self, doc: Doc, rng: random.Random) -> list[str]:
        """``doc``'s words with variants swapped in. Per entry one variant (pair) is
        drawn for the whole Doc, as a writer keeps one style, and never the one its
        first matching token has, so every Doc with a match changes."""
        words = list(doc.words)
        tags = [t.tag_ for t in doc]
        for tagset, variants in self.single:
            hits = [
                i for i, (w, t) in enumerate(zip(words, tags, strict=True))
                if w in variants and (tagset is None or t in tagset)
            ]  # fmt: skip
            if not hits:
                continue
            choice = rng.choice([v for v in variants if v != words[hits[0]]] or variants)
            for i in hits:
                words[i] = choice
        for tagset, pairs, role_of_tag in self.paired:
            opens, closes = {p[0] for p in pairs}, {p[1] for p in pairs}
            hits: list[tuple[int, bool]] = []
            is_open = False  # is a quote open: decides a mark that opens and closes
            for i, (word, tag) in enumerate(zip(words, tags, strict=True)):
                if tagset is not None and tag not in tagset:
                    continue
                if word in opens and word in closes:
                    opening = role_of_tag.get(tag, not is_open)
                elif word in opens or word in closes:
                    opening = word in opens
                else:
                    continue
                hits.append((i, opening))
                is_open = opening
            if not hits:
                continue
            first = words[hits[0][0]]
            choice = rng.choice([p for p in pairs if first not in p] or pairs)
            for i, opening in hits:
                words[i] = choice[0 if opening else 1]
        return words


def _roles(tags: Any) -> dict[str, bool]:
    """Whether a paired entry's tag marks an opening mark: of two tags, the first
    opens and the second closes (``["``", "''"]``). With other tags, a mark that may
    open or close (``"``) alternates."""
    if isinstance(tags, (list, tuple)) and len(tags) == 2 and tags[0] != tags[1]:
        return {tags[0]: True, tags[1]: False}
    return {}


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _orth_augment(table: OrthVariants, lower: float) -> Augment:
    def augment(nlp: Language, example: Example, rng: random.Random) -> Example:
        words = table.apply(example.reference, rng)
        if rng.random() < lower:
            words = [w.lower() for w in words]
        return replace_words(nlp, example, words)

    return augment


def _whitespace_augment(variants: list[str], per_token: float) -> Augment:
    def augment(nlp: Language, example: Example, rng: random.Random) -> Example:
        eligible = whitespace_positions(example.reference)
        if not eligible:
            return example
        chosen = [i for i in eligible if rng.random() < per_token]
        if not chosen:
            chosen = [rng.choice(eligible)]
        return insert_whitespace(nlp, example, {i: rng.choice(variants) for i in chosen})

    return augment


def _check_whitespace(variants: Sequence[str], name: str, key: str) -> list[str]:
    variants = list(variants)
    if not variants or not all(isinstance(v, str) and v and v.isspace() for v in variants):
        raise ConfigError(f"{name}: {key} must be whitespace strings, got {_brief(variants)}.")
    return variants


# ---------------------------------------------------------------------- registered


@registry.augmenters("treadle.lower_case.v1")
def create_lower_case_augmenter(level: float) -> RandomAugmenter:
    """Lowercase a share ``level`` of the Examples."""
    return RandomAugmenter(lower_case, level, name="treadle.lower_case.v1")


@registry.augmenters("treadle.orth_variants.v1")
def create_orth_variants_augmenter(
    level: float, lower: float, orth_variants: dict[str, Any]
) -> RandomAugmenter:
    """Swap punctuation variants in a share ``level`` of the Examples; lowercase a
    share ``lower`` of those."""
    name = "treadle.orth_variants.v1"
    table = OrthVariants(orth_variants, name=name)
    augment = _orth_augment(table, _check_level(lower, name, "lower"))
    return RandomAugmenter(augment, level, name=name)


@registry.augmenters("treadle.whitespace_variants.v1")
def create_whitespace_augmenter(
    level: float,
    whitespace: str = " ",
    per_token: float = 0.0,
    variants: list[str] | None = None,
) -> RandomAugmenter:
    """Insert whitespace tokens into a share ``level`` of the Examples: after each
    eligible token with probability ``per_token``, at least one per Example. The
    token is ``whitespace``, or drawn from ``variants`` when given."""
    name = "treadle.whitespace_variants.v1"
    chosen = _check_whitespace(variants if variants else [whitespace], name, "whitespace")
    augment = _whitespace_augment(chosen, _check_level(per_token, name, "per_token"))
    return RandomAugmenter(augment, level, name=name)


@registry.augmenters("treadle.combined_augmenter.v1")
def create_combined_augmenter(
    lower_level: float = 0.0,
    orth_level: float = 0.0,
    orth_variants: dict[str, Any] | None = None,
    whitespace_level: float = 0.0,
    whitespace_per_token: float = 0.0,
    whitespace_variants: list[str] | None = None,
) -> ChainedAugmenter:
    """Orth variants, then lowercasing, then whitespace tokens, each at its own level.
    ``orth_variants`` defaults to ``treadle.en_orth_variants.v1``'s table,
    ``whitespace_variants`` to a space and a newline."""
    name = "treadle.combined_augmenter.v1"
    table = OrthVariants(
        orth_variants if orth_variants is not None else en_orth_variants(), name=name
    )
    spaces = _check_whitespace(
        whitespace_variants if whitespace_variants else [" ", "\n"], name, "whitespace_variants"
    )
    return chain_augmenters(
        RandomAugmenter(_orth_augment(table, 0.0), orth_level, name=f"{name} orth"),
        RandomAugmenter(lower_case, lower_level, name=f"{name} lower"),
        RandomAugmenter(
            _whitespace_augment(
                spaces, _check_level(whitespace_per_token, name, "whitespace_per_token")
            ),
            whitespace_level,
            name=f"{name} whitespace",
        ),
    )


@registry.misc("treadle.en_orth_variants.v1")
def en_orth_variants() -> dict[str, Any]:
    """English punctuation variants keyed on the Penn Treebank tags of UD English-EWT's
    XPOS: dashes and ellipses (tagged ``,`` ``:`` ``.`` or ``NFP`` there) and quotes
    (`````` opening, ``''`` closing)."""
    return {
        "single": [
            {"tags": [",", ":", "NFP"], "variants": ["--", "—", "–"]},
            {"tags": [",", ".", ":", "NFP"], "variants": ["...", "…"]},
        ],
        "paired": [
            {"tags": ["``", "''"], "variants": [['"', '"'], ["“", "”"]]},
            {"tags": ["``", "''"], "variants": [["'", "'"], ["‘", "’"]]},
        ],
    }


__all__ = [
    "ChainedAugmenter",
    "OrthVariants",
    "RandomAugmenter",
    "chain_augmenters",
    "create_combined_augmenter",
    "create_lower_case_augmenter",
    "create_orth_variants_augmenter",
    "create_whitespace_augmenter",
    "en_orth_variants",
    "insert_whitespace",
    "lower_case",
    "reader_augmenter",
    "replace_words",
    "seed_augmenter",
    "stream_seed",
    "whitespace_positions",
]
