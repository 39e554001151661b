"""How fast a pipeline runs (``treadle benchmark speed``): words per second over
repeated batches, after warm-up batches that are not counted.

Each measured batch is one ``nlp.pipe`` call over ``batch_size`` texts; its words per
second is one sample, and the spread of the samples is what the figure is worth on a
machine that is doing other things too.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from itertools import cycle, islice
from pathlib import Path
from typing import TYPE_CHECKING

from treadle.errors import DataError
from treadle.training.corpus import Corpus
from treadle.training.initialize import read_corpus

if TYPE_CHECKING:
    from treadle.language import Language

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl",)


@dataclass
class SpeedResult:
    """Words per second per measured batch, and their summary."""

    batch_size: int
    n_batches: int
    warmup: int
    words: int
    samples: list[float]
    mean: float
    std: float
    median: float
    min: float
    max: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def read_texts(path: str | Path, nlp: Language) -> list[str]:
    """The texts to run: one per non-empty line of a .txt file, the ``text`` of each
    line of a .jsonl file, or the text of each document of a .docbin file or folder."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder.")
    if path.is_file() and path.suffix in TEXT_SUFFIXES:
        texts = [line.strip() for line in path.read_text(encoding="utf8").splitlines()]
    elif path.is_file() and path.suffix in JSONL_SUFFIXES:
        texts = [_jsonl_text(path, i, line) for i, line in _lines(path)]
    else:
        reader = Corpus(str(path))
        texts = [eg.reference.text for eg in read_corpus(reader, nlp, "data")]
    texts = [t for t in texts if t]
    if not texts:
        raise DataError(f"{path}: no texts to run the pipeline on.")
    return texts


def _lines(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text(encoding="utf8").splitlines()
    return [(i, line) for i, line in enumerate(lines, 1) if line.strip()]


def _jsonl_text(path: Path, line_no: int, line: str) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{line_no}: not JSON ({err.msg}).") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise DataError(f'{path}:{line_no}: expected an object with a "text" string.')
    return record["text"]


def measure_speed(
    nlp: Language, texts: list[str], *, batch_size: int = 64, n_batches: int = 20, warmup: int = 3
) -> SpeedResult:
    """Run ``warmup`` batches untimed, then time ``n_batches`` batches of ``batch_size``
    texts (cycling through ``texts`` when there are fewer)."""
    if batch_size < 1 or n_batches < 1 or warmup < 0:
        raise DataError(
            "--batch-size and --n-batches must be at least 1, --warmup at least 0 "
            f"(got {batch_size}, {n_batches}, {warmup})."
        )
    stream = cycle(texts)
    for _ in range(warmup):
        for _doc in nlp.pipe(list(islice(stream, batch_size)), batch_size=batch_size):
            pass
    samples: list[float] = []
    total_words = 0
    for _ in range(n_batches):
        batch = list(islice(stream, batch_size))
        start = time.perf_counter()
        words = sum(len(doc) for doc in nlp.pipe(batch, batch_size=batch_size))
        seconds = time.perf_counter() - start
        total_words += words
        samples.append(words / max(seconds, 1e-9))
    return SpeedResult(
        batch_size=batch_size,
        n_batches=n_batches,
        warmup=warmup,
        words=total_words,
        samples=samples,
        mean=statistics.fmean(samples),
        std=statistics.stdev(samples) if len(samples) > 1 else 0.0,
        median=statistics.median(samples),
        min=min(samples),
        max=max(samples),
    )


__all__ = ["SpeedResult", "measure_speed", "read_texts"]
