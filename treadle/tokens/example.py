"""Example: a predicted Doc paired with a reference Doc holding the gold annotation.

The two Docs share a text but may tokenize it differently; ``alignment`` (computed
once, lazily) maps between their tokens, and the ``get_aligned*`` helpers project the
gold annotation onto the predicted tokens, with ``None`` (or ``"-"`` for entity tags)
where the tokenizations disagree too much to say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import DataError
from treadle.tokens import Doc, Span, nonproj
from treadle.tokens import attrs as A
from treadle.tokens.alignment import Alignment
from treadle.tokens.iob_utils import (
    MISSING,
    biluo_to_token_spans,
    iob_to_biluo,
    offsets_to_biluo_tags,
)
from treadle.tokens.parts_of_speech import UPOS_NAMES

if TYPE_CHECKING:
    from treadle.tokens.strings import StringStore

ANNOTATION_KEYS = (
    "words",
    "spaces",
    "tags",
    "pos",
    "morphs",
    "lemmas",
    "heads",
    "deps",
    "sent_starts",
    "entities",
    "spans",
    "cats",
)
_TOKEN_KEYS = ("spaces", "tags", "pos", "morphs", "lemmas", "heads", "deps", "sent_starts")
_MASK = (1 << 64) - 1
# Attributes whose values are string hashes (stored bit-cast to int64 in arrays).
_HASH_ATTRS = frozenset(
    (A.TAG, A.MORPH, A.LEMMA, A.DEP, A.ENT_TYPE, A.ENT_ID, A.ENT_KB_ID,
     A.ORTH, A.LOWER, A.NORM, A.SHAPE, A.PREFIX, A.SUFFIX)
)  # fmt: skip


def _doc_words(doc: Doc) -> tuple[list[str], list[bool]]:
    return list(doc.words), list(doc.spaces)


def _is_biluo_or_iob(entities: Sequence[Any]) -> bool:
    return all(isinstance(e, str) for e in entities)


def _to_biluo(tags: Sequence[str]) -> list[str]:
    """Entity tags in either scheme (BILUO if any L-/U- tag appears) as BILUO."""
    if any(t[:2] in ("L-", "U-") for t in tags):
        biluo_to_token_spans(tags)  # validates, raising with the position
        return list(tags)
    return iob_to_biluo(tags)


class Example:
    """``Example(predicted, reference)``: the Doc to predict on and its gold twin."""

    __slots__ = ("_alignment", "predicted", "reference")

    def __init__(self, predicted: Doc, reference: Doc) -> None:
        for name, doc in (("predicted", predicted), ("reference", reference)):
            if not hasattr(doc, "to_array") or not hasattr(doc, "vocab"):
                raise TypeError(f"Example's {name} must be a Doc, got {type(doc).__name__}")
        self.predicted = predicted
        self.reference = reference
        self._alignment: Alignment | None = None

    # -- construction --------------------------------------------------------

    @classmethod
    def from_dict(cls, predicted: Doc, annotations: Mapping[str, Any]) -> Example:
        """Build the reference Doc from a dict of annotations over ``predicted``'s text.

        Keys: ``words``, ``spaces`` (the gold tokenization; default the predicted one),
        per-token ``tags``, ``pos``, ``morphs``, ``lemmas``, ``heads`` (absolute
        indices), ``deps``, ``sent_starts``; ``entities`` as ``(start_char, end_char,
        label)`` triples or a BILUO/IOB tag per token; ``spans`` as ``{key: [(start_char,
        end_char, label), ...]}``; ``cats`` as ``{label: score}``.
        """
        if not isinstance(annotations, Mapping):
            raise DataError(f"Example.from_dict needs a dict of annotations, got {annotations!r}")
        unknown = [k for k in annotations if k not in ANNOTATION_KEYS]
        if unknown:
            raise DataError(
                f"Unknown annotation key(s) {unknown} in Example.from_dict; "
                f"known keys: {', '.join(ANNOTATION_KEYS)}"
            )
        if "words" in annotations:
            words = list(annotations["words"])
            spaces = annotations.get("spaces")
            spaces = list(spaces) if spaces is not None else None
        else:
            words, spaces = _doc_words(predicted)
            if annotations.get("spaces") is not None:
                spaces = list(annotations["spaces"])
        n = len(words)
        for key in _TOKEN_KEYS:
            value = annotations.get(key)
            if value is not None and len(value) != n:
                raise DataError(
                    f"Example.from_dict: {key!r} has {len(value)} values for {n} words "
                    f"in {predicted.text[:60]!r}"
                )
        kwargs = {
            key: list(annotations[key])
            for key in ("tags", "pos", "morphs", "lemmas", "heads", "deps", "sent_starts")
            if annotations.get(key) is not None
        }
        entities = annotations.get("entities")
        ent_tags: list[str] | None = None
        if entities is not None and len(entities) and _is_biluo_or_iob(entities):
            if len(entities) != n:
                raise DataError(
                    f"Example.from_dict: 'entities' has {len(entities)} tags for {n} words"
                )
            ent_tags = _to_biluo(list(entities))
        reference = Doc(predicted.vocab, words=words, spaces=spaces, **kwargs)
        if entities is not None:
            if ent_tags is None:
                ent_tags = offsets_to_biluo_tags(reference, list(entities))
            set_biluo_ents(reference, ent_tags)
        for key, triples in (annotations.get("spans") or {}).items():
            spans = []
            for start, end, label in triples:
                span = reference.char_span(start, end, label=label)
                if span is None:
                    raise DataError(
                        f"Example.from_dict: span ({start}, {end}, {label!r}) in group "
                        f"{key!r} = {reference.text[start:end]!r} does not fall on token "
                        "boundaries"
                    )
                spans.append(span)
            reference.spans[key] = spans
        if annotations.get("cats"):
            reference.cats.update(annotations["cats"])
        return cls(predicted, reference)

    # -- accessors -----------------------------------------------------------

    @property
    def x(self) -> Doc:
        return self.predicted

    @property
    def y(self) -> Doc:
        return self.reference

    @property
    def text(self) -> str:
        return self.predicted.text

    def __len__(self) -> int:
        return len(self.predicted)

    @property
    def alignment(self) -> Alignment:
        """Token alignment predicted -> reference (``x2y``) and back (``y2x``)."""
        if self._alignment is None:
            self._alignment = Alignment.from_docs(self.predicted, self.reference)
        return self._alignment

    def copy(self) -> Example:
        ex = Example(self.predicted.copy(), self.reference.copy())
        ex._alignment = self._alignment
        return ex

    def __repr__(self) -> str:
        return f"Example(text={self.text[:50]!r}, predicted={len(self.x)}, reference={len(self.y)})"

    # -- projecting gold annotation --------------------------------------------

    def _one_to_one(self) -> tuple[np.ndarray, np.ndarray]:
        """(mask over x tokens aligned one-to-one, the y token of each x token or -1)."""
        al = self.alignment
        n_x = len(self.predicted)
        target = np.full(n_x, -1, dtype=np.int64)
        single = al.x2y.lengths == 1
        target[single] = al.x2y.data[al.x2y.starts[:-1][single]]
        ok = single.copy()
        ok[single] = al.y2x.lengths[target[single]] == 1
        return ok, target

    def get_aligned(self, attr: int | str, as_string: bool = False) -> list[Any]:
        """Gold ``attr`` values on the predicted tokens; None where not one-to-one.

        HEAD values are returned as absolute predicted-token indices (None where the
        head is not aligned); string attributes as hashes, or strings with ``as_string``.
        """
        attr_id = A.intify_attr(attr) if isinstance(attr, str) else attr
        if attr_id == A.HEAD:
            heads, _ = self.get_aligned_parse()
            return heads
        ok, target = self._one_to_one()
        values = self.reference.to_array(attr_id)
        out: list[Any] = [None] * len(ok)
        idx = np.flatnonzero(ok)
        picked = values[target[idx]]
        if as_string:
            strings = self.reference.vocab.strings
            if attr_id == A.POS:
                picked_list = [_pos_name(int(v)) for v in picked]
            else:
                picked_list = [strings[int(v) & _MASK] for v in picked]
        elif attr_id in _HASH_ATTRS:
            picked_list = picked.view(np.uint64).tolist()
        else:
            picked_list = picked.tolist()
        for i, v in zip(idx.tolist(), picked_list, strict=False):
            out[i] = v
        return out

    def get_aligned_parse(self, projectivize: bool = False) -> tuple[list[Any], list[Any]]:
        """Gold (heads, deps) on the predicted tokens; None where they cannot be placed.

        A predicted token covering several gold tokens takes the annotation of the one
        attached outside the group. A gold token split over several predicted tokens
        gives its annotation to the last piece; the others attach to their next piece
        with the label ``"subtok"``. With ``projectivize``, a non-projective gold tree
        is first lifted (pseudo-projective labels ``"label||headlabel"``).
        """
        ref = self.reference
        arr = ref.to_array([A.HEAD, A.DEP])
        n_y = len(ref)
        y_heads = np.arange(n_y, dtype=np.int64) + (arr[:, 0] if n_y else 0)
        y_deps = arr[:, 1] if n_y else np.zeros(0, np.int64)
        strings = ref.vocab.strings
        if projectivize:
            y_heads, y_deps = _projectivized(y_heads, y_deps, strings)
        al = self.alignment
        n_x = len(self.predicted)
        if al.is_identity:
            heads = [int(h) if d != 0 else None for h, d in zip(y_heads.tolist(), y_deps.tolist(), strict=False)]
            deps = [strings[d & _MASK] if d != 0 else None for d in y_deps.tolist()]
            return heads, deps
        y2x_rows = al.y2x.tolist()
        x2y_rows = al.x2y.tolist()
        # Which x token stands for each y token when a head points at it.
        y_rep = [-1] * n_y
        x_source = [-1] * n_x  # the y token whose annotation each x token takes
        x_subtok_next = [-1] * n_x
        for i, ys in enumerate(x2y_rows):
            if ys and all(y2x_rows[j] == [i] for j in ys):
                group = set(ys)
                outside = [j for j in ys if y_heads[j] not in group or y_heads[j] == j]
                x_source[i] = outside[0] if len(outside) == 1 else -1
                for j in ys:
                    y_rep[j] = i
        for j, xs in enumerate(y2x_rows):
            if len(xs) > 1 and all(x2y_rows[i] == [j] for i in xs):
                y_rep[j] = xs[-1]
                x_source[xs[-1]] = j
                for a, b in zip(xs[:-1], xs[1:], strict=False):
                    x_subtok_next[a] = b
        heads: list[Any] = [None] * n_x
        deps: list[Any] = [None] * n_x
        for i in range(n_x):
            if x_subtok_next[i] >= 0:
                heads[i] = x_subtok_next[i]
                deps[i] = "subtok"
                continue
            j = x_source[i]
            if j < 0 or y_deps[j] == 0:
                continue
            h = y_rep[int(y_heads[j])]
            if h >= 0:
                heads[i] = h
                deps[i] = strings[int(y_deps[j]) & _MASK]
        return heads, deps

    def get_aligned_sent_starts(self) -> list[int | None]:
        """Gold sentence starts on predicted tokens: 1 start, -1 not, 0/None unknown.

        A gold token split over several predicted tokens passes its value to the first
        piece; the later pieces are not sentence starts.
        """
        values = self.reference.to_array(A.SENT_START).tolist()
        al = self.alignment
        out: list[int | None] = []
        seen_y: set[int] = set()
        if al.is_identity:
            return [int(v) for v in values]
        for ys in al.x2y:
            if len(ys) == 0:
                out.append(None)
                continue
            j = int(ys[0])
            out.append(-1 if j in seen_y else int(values[j]))
            seen_y.update(ys.tolist())
        return out

    def _y_span_to_x(self, start: int, end: int) -> tuple[int, int] | None:
        """x token range covering exactly the y tokens start..end-1, or None."""
        al = self.alignment
        ys = al.y2x.starts
        xs = al.y2x.data[ys[start] : ys[end]]
        if len(xs) == 0:
            return None
        xa, xb = int(xs.min()), int(xs.max()) + 1
        back = al.x2y.data[al.x2y.starts[xa] : al.x2y.starts[xb]]
        if len(back) and (back.min() < start or back.max() >= end):
            return None
        return xa, xb

    def _x_span_to_y(self, start: int, end: int) -> tuple[int, int] | None:
        al = self.alignment
        xs = al.x2y.starts
        ys = al.x2y.data[xs[start] : xs[end]]
        if len(ys) == 0:
            return None
        ya, yb = int(ys.min()), int(ys.max()) + 1
        back = al.y2x.data[al.y2x.starts[ya] : al.y2x.starts[yb]]
        if len(back) and (back.min() < start or back.max() >= end):
            return None
        return ya, yb

    def get_aligned_spans_y2x(self, y_spans: Iterable[Span], allow_overlap: bool = False) -> list[Span]:
        """Reference spans as spans over the predicted Doc (those that align cleanly)."""
        return self._project_spans(y_spans, self._y_span_to_x, self.predicted, allow_overlap)

    def get_aligned_spans_x2y(self, x_spans: Iterable[Span], allow_overlap: bool = False) -> list[Span]:
        """Predicted spans as spans over the reference Doc (those that align cleanly)."""
        return self._project_spans(x_spans, self._x_span_to_y, self.reference, allow_overlap)

    @staticmethod
    def _project_spans(
        spans: Iterable[Span],
        mapper: Callable[[int, int], tuple[int, int] | None],
        target: Doc,
        allow_overlap: bool,
    ) -> list[Span]:
        out = []
        taken = np.zeros(len(target), dtype=bool)
        for span in spans:
            hit = mapper(span.start, span.end)
            if hit is None:
                continue
            a, b = hit
            if not allow_overlap:
                if taken[a:b].any():
                    continue
                taken[a:b] = True
            out.append(Span(target, a, b, label=span.label_, kb_id=span.kb_id_))
        return out

    def get_aligned_ner(self) -> list[str]:
        """Gold entities as BILUO tags on the predicted tokens, ``"-"`` where unknown."""
        return self.get_aligned_ents_and_ner()[1]

    def get_aligned_ents_and_ner(self) -> tuple[list[Span], list[str]]:
        """(gold entity spans over the predicted Doc, BILUO tags on predicted tokens).

        Tokens whose gold tokens are all outside entities get ``"O"``; a gold entity
        the predicted tokens cannot express (its boundary falls inside a predicted
        token) leaves its tokens ``"-"``, as do tokens without gold annotation.
        """
        ref = self.reference
        y_iob = ref.to_array(A.ENT_IOB)
        al = self.alignment
        n_x = len(self.predicted)
        if al.is_identity:
            x_outside = y_iob == 2
            x_empty = np.zeros(n_x, dtype=bool)
        else:
            # An x token is "O" when all its y tokens are; one aligned to nothing is "O".
            rows = np.repeat(np.arange(n_x), al.x2y.lengths)
            not_o = np.zeros(n_x, dtype=bool)
            np.logical_or.at(not_o, rows, y_iob[al.x2y.data] != 2)
            x_empty = al.x2y.lengths == 0
            x_outside = ~not_o & ~x_empty
        tags = np.where(x_outside | x_empty, "O", MISSING).astype(object)
        x_ents = []
        for ent in ref.ents:
            hit = self._y_span_to_x(ent.start, ent.end)
            if hit is None:
                continue  # its tokens stay "-"
            a, b = hit
            label = ent.label_
            if b - a == 1:
                tags[a] = f"U-{label}"
            else:
                tags[a] = f"B-{label}"
                tags[a + 1 : b - 1] = f"I-{label}"
                tags[b - 1] = f"L-{label}"
            x_ents.append((a, b, label))

        spans = [Span(self.predicted, a, b, label=label) for a, b, label in x_ents]
        return spans, tags.tolist()

    # -- serialisation ---------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The reference annotation as a dict that ``from_dict`` accepts."""
        ref = self.reference
        words, spaces = _doc_words(ref)
        out: dict[str, Any] = {"words": words, "spaces": spaces}
        n = len(ref)
        if n:
            if ref.has_annotation("TAG"):
                out["tags"] = [t.tag_ for t in ref]
            if ref.has_annotation("POS"):
                out["pos"] = [t.pos_ for t in ref]
            if ref.has_annotation("MORPH"):
                out["morphs"] = [str(t.morph) for t in ref]
            if ref.has_annotation("LEMMA"):
                out["lemmas"] = [t.lemma_ for t in ref]
            if ref.has_annotation("DEP"):
                arr = ref.to_array([A.HEAD, A.DEP])
                out["heads"] = [i + int(h) for i, h in enumerate(arr[:, 0].tolist())]
                out["deps"] = [t.dep_ for t in ref]
            if ref.has_annotation("SENT_START"):
                out["sent_starts"] = [int(v) for v in ref.to_array(A.SENT_START).tolist()]
            if ref.has_annotation("ENT_IOB"):
                out["entities"] = doc_to_biluo(ref)
        if ref.spans:
            out["spans"] = {
                key: [(s.start_char, s.end_char, s.label_) for s in group]
                for key, group in ref.spans.items()
            }
        if ref.cats:
            out["cats"] = dict(ref.cats)
        return out


def _projectivized(heads: np.ndarray, deps: np.ndarray, strings: StringStore) -> tuple[np.ndarray, np.ndarray]:
    """Gold heads and dep hashes with non-projective arcs lifted (unchanged otherwise)."""
    head_list = [int(h) if d != 0 else None for h, d in zip(heads.tolist(), deps.tolist(), strict=True)]
    if not nonproj.is_nonproj_tree(head_list):
        return heads, deps
    labels = [strings[d & _MASK] if d != 0 else None for d in deps.tolist()]
    new_heads, new_labels = nonproj.projectivize(head_list, labels)
    out_heads = np.asarray(new_heads, dtype=np.int64)
    out_deps = np.asarray(
        [strings.add(lbl) if lbl else 0 for lbl in new_labels], dtype=np.uint64
    ).view(np.int64)
    return out_heads, out_deps


def _pos_name(value: int) -> str:
    return UPOS_NAMES[value] if 0 <= value < len(UPOS_NAMES) else ""


def doc_to_biluo(doc: Doc) -> list[str]:
    """A Doc's entity annotation as BILUO tags (``"-"`` where ENT_IOB is missing)."""
    iob = doc.to_array(A.ENT_IOB).tolist()
    tags = [MISSING if v == 0 else "O" for v in iob]
    for ent in doc.ents:
        label = ent.label_
        if ent.end - ent.start == 1:
            tags[ent.start] = f"U-{label}"
        else:
            tags[ent.start] = f"B-{label}"
            for i in range(ent.start + 1, ent.end - 1):
                tags[i] = f"I-{label}"
            tags[ent.end - 1] = f"L-{label}"
    return tags


def set_biluo_ents(doc: Doc, tags: Sequence[str]) -> None:
    """Set ``doc``'s entities from BILUO tags, keeping ``"-"`` tokens missing."""
    if len(tags) != len(doc):
        raise DataError(f"Got {len(tags)} entity tags for a Doc of {len(doc)} tokens")
    ents = [Span(doc, s, e, label=label) for s, e, label in biluo_to_token_spans(tags)]
    missing = [Span(doc, i, i + 1) for i, t in enumerate(tags) if t == MISSING]
    doc.set_ents(ents, missing=missing, default="outside")
