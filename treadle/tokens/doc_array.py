"""Array import and export for a Doc: ``Doc.to_array``, ``Doc.from_array`` and
``Doc.count_by``.

One int64 column per requested attribute, one row per token. Token-level values
come from the Doc's token array, lexical ones (LOWER, SHAPE, ...) from the Vocab's
lexeme table; hashes are stored bit-cast to int64. ``doc_from_array`` validates
what it writes (heads inside the Doc, known POS, IOB and SENT_START values) and
refuses to change ORTH.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import AnnotationError
from treadle.tokens import attrs as A
from treadle.tokens._layout import C_DEP, C_LEX, C_NORM, HASH_COLS, TOKEN_COL, to_i64
from treadle.tokens.parts_of_speech import N_POS
from treadle.tokens.vocab import LEX_COL

if TYPE_CHECKING:
    from treadle.tokens.doc import Doc


def _attr_list(attr_ids: Any) -> tuple[bool, list[int]]:
    """(single, ids) for one attribute or a list of them, with a fast path for int ids."""
    names = A.NAMES
    if isinstance(attr_ids, (int, str, np.integer)):
        attr = int(attr_ids) if isinstance(attr_ids, np.integer) else attr_ids
        return True, [attr if type(attr) is int and attr in names else A.intify_attr(attr)]
    return False, [a if type(a) is int and a in names else A.intify_attr(a) for a in attr_ids]


def doc_to_array(doc: Doc, attr_ids: int | str | Sequence[int | str]) -> np.ndarray:
    """``doc``'s values of attributes per token as int64 (``Doc.to_array``): 2-D for a
    list, 1-D for one attribute."""
    single, ids = _attr_list(attr_ids)
    n = len(doc)
    out = np.empty((n, len(ids)), dtype=np.int64)
    lex = doc._arr[:, C_LEX]
    for k, attr in enumerate(ids):
        if attr in TOKEN_COL:
            out[:, k] = doc._arr[:, TOKEN_COL[attr]]
        elif attr == A.NORM:
            override = doc._arr[:, C_NORM]
            out[:, k] = np.where(override != 0, override, doc.vocab.lex_column(attr)[lex])
        elif attr == A.ID:
            out[:, k] = lex
        elif attr in LEX_COL or attr == A.LANG:
            out[:, k] = doc.vocab.lex_column(attr)[lex]
        else:
            raise AnnotationError(f"Attribute {A.NAMES.get(attr, attr)} cannot be exported")
    return out[:, 0] if single else out


def doc_from_array(doc: Doc, attr_ids: int | str | Sequence[int | str], array: np.ndarray) -> Doc:
    """Write ``array`` (laid out as ``doc_to_array`` returns it) into ``doc``'s token
    columns (``Doc.from_array``); lexeme attributes are skipped, ORTH only checked."""
    _single, ids = _attr_list(attr_ids)
    array = np.asarray(array)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    n = len(doc)
    if array.shape != (n, len(ids)):
        raise AnnotationError(
            f"from_array got an array of shape {array.shape} for {n} tokens and {len(ids)} "
            f"attributes ({', '.join(A.NAMES[a] for a in ids)})"
        )
    if array.dtype == np.uint64:
        array = array.view(np.int64)
    else:
        array = array.astype(np.int64, copy=False)
    arr = doc._arr
    for k, attr in enumerate(ids):
        values = array[:, k]
        if attr == A.ORTH:
            if not np.array_equal(values, doc_to_array(doc, A.ORTH)):
                bad = int(np.flatnonzero(values != doc_to_array(doc, A.ORTH))[0])
                raise AnnotationError(
                    f"from_array: ORTH of token {bad} ({doc[bad].text!r}) does not match the "
                    "array; ORTH cannot be changed"
                )
            continue
        if attr == A.NORM:
            lex_norm = doc.vocab.lex_column(A.NORM)[arr[:, C_LEX]]
            arr[:, C_NORM] = np.where(values != lex_norm, values, 0)
            continue
        if attr not in TOKEN_COL:
            if attr in LEX_COL or attr in (A.ID, A.LANG):
                continue
            raise AnnotationError(f"from_array: unknown attribute {attr}")
        if attr == A.IDX:
            continue  # derived from the words and spaces
        if attr == A.HEAD:
            heads = values + np.arange(n)
            bad = np.flatnonzero((heads < 0) | (heads >= n))
            if len(bad):
                i = int(bad[0])
                raise AnnotationError(
                    f"from_array: head offset {int(values[i])} of token {i} ({doc[i].text!r}) "
                    f"points outside the Doc of {n} tokens"
                )
        elif attr == A.POS:
            bad = np.flatnonzero((values < 0) | (values >= N_POS))
            if len(bad):
                i = int(bad[0])
                raise AnnotationError(
                    f"from_array: POS value {int(values[i])} of token {i} ({doc[i].text!r}) is "
                    "not a universal POS id"
                )
        elif attr == A.ENT_IOB:
            bad = np.flatnonzero((values < 0) | (values > 3))
            if len(bad):
                i = int(bad[0])
                raise AnnotationError(
                    f"from_array: ENT_IOB value {int(values[i])} of token {i} "
                    f"({doc[i].text!r}) must be 0-3"
                )
        elif attr == A.SENT_START:
            bad = np.flatnonzero((values < -1) | (values > 1))
            if len(bad):
                i = int(bad[0])
                raise AnnotationError(
                    f"from_array: SENT_START value {int(values[i])} of token {i} "
                    f"({doc[i].text!r}) must be -1, 0 or 1"
                )
        arr[:, TOKEN_COL[attr]] = values
    if A.SPACY in ids:
        doc._recompute_idx()
    if A.HEAD in ids:
        if A.DEP not in ids:
            dep = arr[:, C_DEP]
            dep[dep == 0] = to_i64(doc.vocab.strings.add("dep"))
        if A.SENT_START not in ids:
            doc._sent_starts_from_tree()
    return doc


def doc_count_by(doc: Doc, attr_id: int | str, counts: dict | None = None) -> dict[int, int]:
    """Count ``doc``'s tokens by the value of an attribute, hashes as unsigned ints
    (``Doc.count_by``); adds to ``counts`` when given."""
    attr = A.intify_attr(attr_id)
    values = doc_to_array(doc, attr)
    if attr in LEX_COL and attr not in A.FLAG_ATTRS and attr != A.LENGTH or (
        attr in TOKEN_COL and TOKEN_COL[attr] in HASH_COLS
    ):
        values = values.view(np.uint64)
    uniq, cnt = np.unique(values, return_counts=True)
    out = counts if counts is not None else {}
    for value, c in zip(uniq.tolist(), cnt.tolist(), strict=True):
        out[value] = out.get(value, 0) + c
    return out
