"""The JSON form of a Doc: what ``Doc.to_json`` and ``Doc.from_json`` do.

The form is ``{"text", "tokens": [{"id", "start", "end", "tag"?, "pos"?, "morph"?,
"lemma"?, "dep"?, "head"?}], "ents"?: [{"start", "end", "label", "kb_id"?, "id"?}],
"sents"?: [{"start", "end"}], "cats": {...}, "spans"?: {key: [{"start", "end",
"label", "kb_id", "id"}]}, "_"?: {...}}``. Tokens, entities, sentences and spans are
given by character offsets into the text; token fields appear only when set.

The Doc class is passed in (``doc_from_json``) or known from the instance, so
``treadle.tokens.doc`` can import this module without a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import AnnotationError
from treadle.tokens import attrs as A
from treadle.tokens._layout import (
    C_DEP,
    C_HEAD,
    C_IDX,
    C_LEMMA,
    C_LEX,
    C_MORPH,
    C_POS,
    C_SENT_START,
    C_TAG,
    MASK,
)
from treadle.tokens.parts_of_speech import UPOS_NAMES

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc
    from treadle.tokens.vocab import Vocab


def doc_to_json(doc: Doc, underscore: Sequence[str] | None = None) -> dict[str, Any]:
    """``doc`` as a JSON-serializable dict (``Doc.to_json``)."""
    strings = doc.vocab.strings
    arr = doc._arr
    texts = doc.vocab._texts
    tokens = []
    for i, row in enumerate(arr.tolist()):
        start = row[C_IDX]
        tok: dict[str, Any] = {"id": i, "start": start, "end": start + len(texts[row[C_LEX]])}
        for name, col in (("tag", C_TAG), ("morph", C_MORPH), ("lemma", C_LEMMA), ("dep", C_DEP)):
            if row[col]:
                value = strings[row[col] & MASK]
                tok[name] = "" if name == "morph" and value == "_" else value
        if row[C_POS]:
            tok["pos"] = UPOS_NAMES[row[C_POS]]
        if row[C_DEP]:
            tok["head"] = i + row[C_HEAD]
        tokens.append(tok)
    data: dict[str, Any] = {"text": doc.text, "tokens": tokens}
    if doc.has_annotation(A.ENT_IOB):
        ents = []
        for ent in doc.ents:
            item: dict[str, Any] = {"start": ent.start_char, "end": ent.end_char, "label": ent.label_}
            if ent.kb_id:
                item["kb_id"] = ent.kb_id_
            if ent.id:
                item["id"] = ent.id_
            ents.append(item)
        data["ents"] = ents
    if doc.has_annotation(A.SENT_START):
        data["sents"] = [{"start": s.start_char, "end": s.end_char} for s in doc.sents]
    data["cats"] = dict(doc.cats)
    if doc._spans:
        data["spans"] = {
            key: [
                {"start": s.start_char, "end": s.end_char, "label": s.label_, "kb_id": s.kb_id_,
                 "id": s.id_}
                for s in group
            ]
            for key, group in doc._spans.items()
        }
    if underscore:
        ext = {}
        for name in underscore:
            if not type(doc).has_extension(name):
                raise AnnotationError(f"to_json: Doc has no extension {name!r}")
            ext[name] = getattr(doc._, name)
        data["_"] = ext
    return data


def doc_from_json(doc_cls: type[Doc], vocab: Vocab, doc_json: dict[str, Any], *,
                  validate: bool = True) -> Doc:
    """A ``doc_cls`` rebuilt from ``doc_to_json`` output (``Doc.from_json``); the tokens
    must tile the text."""
    if not isinstance(doc_json, dict) or "text" not in doc_json:
        raise AnnotationError("Doc JSON must be an object with a 'text' key")
    text = doc_json["text"]
    tokens = doc_json.get("tokens")
    if tokens is None:
        raise AnnotationError("Doc JSON has no 'tokens'")
    words, spaces = [], []
    for k, tok in enumerate(tokens):
        start, end = tok["start"], tok["end"]
        nxt = tokens[k + 1]["start"] if k + 1 < len(tokens) else len(text)
        if end <= start or end > len(text):
            raise AnnotationError(f"Token {k} of the JSON has invalid offsets {start}-{end}")
        words.append(text[start:end])
        gap = text[end:nxt]
        if gap not in ("", " "):
            raise AnnotationError(
                f"Token {k} ({words[-1]!r}) is followed by {gap!r}, which no token covers; "
                "tokens must tile the text (whitespace beyond one space is its own token)"
            )
        spaces.append(gap == " ")
    if "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) != text:
        raise AnnotationError("The JSON's tokens do not reproduce its text")

    def field(name: str) -> list | None:
        if not any(name in t for t in tokens):
            return None
        return [t.get(name) for t in tokens]

    morphs = field("morph")
    if morphs is not None:
        morphs = [("_" if m == "" else m) for m in morphs]
    heads = field("head")
    doc = doc_cls(vocab, words=words, spaces=spaces, tags=field("tag"), pos=field("pos"),
                  morphs=morphs, lemmas=field("lemma"), heads=heads,
                  deps=field("dep") if heads is not None else None)
    if heads is None and field("dep") is not None:
        doc._arr[:, C_DEP] = doc._hash_column("deps", field("dep"), words)  # type: ignore[arg-type]
    if "sents" in doc_json and heads is None:
        starts = np.full(len(doc), -1, dtype=np.int64)
        for sent in doc_json["sents"]:
            span = doc.char_span(sent["start"], sent["end"])
            if span is None:
                raise AnnotationError(
                    f"Sentence at characters {sent['start']}-{sent['end']} does not align with tokens"
                )
            starts[span.start] = 1
        doc._arr[:, C_SENT_START] = starts
    if "ents" in doc_json:
        ents = []
        for ent in doc_json["ents"]:
            span = doc.char_span(ent["start"], ent["end"], label=ent["label"],
                                 kb_id=ent.get("kb_id", ""), span_id=ent.get("id", ""))
            if span is None:
                raise AnnotationError(
                    f"Entity {text[ent['start']:ent['end']]!r} at characters "
                    f"{ent['start']}-{ent['end']} does not align with token boundaries"
                )
            ents.append(span)
        doc.set_ents(ents, default="outside")
    doc.cats = dict(doc_json.get("cats", {}))
    for key, spans in doc_json.get("spans", {}).items():
        group = []
        for item in spans:
            span = doc.char_span(item["start"], item["end"], label=item.get("label", ""),
                                 kb_id=item.get("kb_id", ""), span_id=item.get("id", ""))
            if span is None:
                raise AnnotationError(
                    f"Span in group {key!r} at characters {item['start']}-{item['end']} does "
                    "not align with token boundaries"
                )
            group.append(span)
        doc.spans[key] = group
    for name, value in doc_json.get("_", {}).items():
        doc.user_data[("._.", name, None, None)] = value
    return doc
