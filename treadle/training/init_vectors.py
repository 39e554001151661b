"""``init vectors``: a blank pipeline whose vocab holds a word-vectors table.

The folder it writes is a normal saved pipeline, so ``[initialize] vectors`` (and
``treadle.load``) read it back; the table is stored once, in ``vocab/vectors``.
"""

from __future__ import annotations

import json
from pathlib import Path

from treadle.errors import DataError
from treadle.language import Language, blank
from treadle.tokens.vectors_reader import Progress, read_vectors
from treadle.tokens.vocab import Vocab


def init_vectors_pipeline(
    lang: str,
    vectors_loc: str | Path,
    output_dir: str | Path | None = None,
    *,
    prune: int = -1,
    truncate: int = 0,
    name: str | None = None,
    mode: str = "default",
    lexemes_jsonl: str | Path | None = None,
    words: str | Path | None = None,
    progress: Progress | None = None,
) -> tuple[Language, dict[int, tuple[int, float]]]:
    """Read ``vectors_loc`` into ``blank(lang)``'s vocab, prune it to ``prune`` rows if
    > 0, add the lexeme attributes of ``lexemes_jsonl``, and save to ``output_dir``.
    Returns the pipeline and the prune map (removed key -> (kept key, cosine))."""
    nlp = blank(lang)
    default_name = f"{lang}_{Path(vectors_loc).stem}".replace(".", "_")
    vectors, words_read = read_vectors(
        vectors_loc, truncate=truncate, mode=mode, words=words, name=name or default_name,
        progress=progress,
    )  # fmt: skip
    remap: dict[int, tuple[int, float]] = {}
    if prune > 0:
        if mode == "floret":
            raise DataError("--prune does not apply to floret tables (their rows are hash buckets).")
        remap = vectors.prune(prune)
    # The strings of removed words stay too: their keys now point at kept rows.
    add = nlp.vocab.strings.add
    for word in words_read:
        add(word)
    nlp.vocab.vectors = vectors
    if lexemes_jsonl is not None:
        add_lexemes(nlp.vocab, Path(lexemes_jsonl))
    if output_dir is not None:
        nlp.to_disk(output_dir)
    return nlp, remap


def add_lexemes(vocab: Vocab, path: Path) -> int:
    """Set lexeme attributes from a JSONL file, one object a line: ``{"orth": "word",
    "<attribute>": value, ...}`` with any settable lexeme attribute (``norm``,
    ``lower``, ``shape``, ``prefix``, ``suffix`` and the ``is_*``/``like_*`` flags).
    Returns the number of lexemes set."""
    if not path.exists():
        raise DataError(f"--lexemes-jsonl: {path} does not exist.")
    count = 0
    with open(path, encoding="utf8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError as err:
                raise DataError(f"{path}:{lineno}: not valid JSON: {err}") from None
            if not isinstance(entry, dict) or not isinstance(entry.get("orth"), str):
                raise DataError(f'{path}:{lineno}: expected an object with a string "orth".')
            lexeme = vocab[entry["orth"]]
            for attr, value in entry.items():
                if attr == "orth":
                    continue
                try:
                    setattr(lexeme, attr, value)
                except (AttributeError, ValueError, TypeError) as err:
                    raise DataError(f"{path}:{lineno}: cannot set lexeme attribute {attr!r}: {err}") from None
            count += 1
    return count
