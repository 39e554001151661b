"""Helpers shared by the converter tests."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SAMPLE_DATA

EWT_DEV = SAMPLE_DATA / "ewt-sample-dev.conllu"
UNER_DEV = SAMPLE_DATA / "uner-sample-dev.iob2"


def count_blocks(path: Path) -> tuple[int, int, list[str]]:
    """Sentences, syntactic words and # text lines, counted independently of the reader."""
    n_sents = n_words = 0
    texts = []
    for line in path.read_text(encoding="utf8").splitlines():
        if line.startswith("# text = "):
            texts.append(line[len("# text = ") :])
        elif not line.strip():
            n_sents += 1
        elif not line.startswith("#") and line.split("\t")[0].isdigit():
            n_words += 1
    return n_sents, n_words, texts
