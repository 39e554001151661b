"""Benchmark: ``nlp.pipe(texts, n_process=N)`` words per second, 1 process against N.

A saved pipeline (``--model``, e.g. the efficiency tagger + parser that
``treadle init config --pipeline tagger,parser --optimize efficiency`` writes, trained
for a few hundred steps) tags and parses the texts of UD English-EWT dev (``--dev``,
CoNLL-U ``# text`` lines, repeated ``--repeat`` times). Each setting runs once in this
process; the start-up cost of the workers (spawn, import, rebuild from ``to_bytes()``)
is measured on its own as the time to the first Doc of a one-text input.

    PYTHONPATH=. .venv/bin/python benchmarks/pipe_processes.py --model training/model-best

(``PYTHONPATH=.`` from a worktree: the script's folder, not the current one, starts
``sys.path``.) On a machine shared with other jobs, the ratio says more than the
absolute figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import treadle

DEFAULT_DEV = "/work/shared/data/ud_en_ewt/en_ewt-ud-dev.conllu"


def read_texts(path: Path, limit: int) -> list[str]:
    texts = []
    for line in path.read_text(encoding="utf8").splitlines():
        if line.startswith("# text = "):
            texts.append(line[len("# text = ") :])
            if limit and len(texts) >= limit:
                break
    return texts


def words_per_second(
    nlp, texts: list[str], n_process: int, batch_size: int
) -> tuple[float, float, int]:
    """Words per second over the whole call, and from the first Doc on (the workers'
    start-up left out), and the word count."""
    start = time.perf_counter()
    first = None
    n_words = n_first = 0
    for doc in nlp.pipe(texts, n_process=n_process, batch_size=batch_size):
        if first is None:
            first, n_first = time.perf_counter(), len(doc)
        n_words += len(doc)
    end = time.perf_counter()
    steady = (n_words - n_first) / (end - first) if first is not None and end > first else 0.0
    return n_words / (end - start), steady, n_words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a saved pipeline folder")
    parser.add_argument("--dev", type=Path, default=Path(DEFAULT_DEV))
    parser.add_argument("--limit", type=int, default=0, help="at most this many texts (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--n-process", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    # One thread in this process too, as in each worker: the comparison is then
    # N processes of one thread against one.
    torch.set_num_threads(1)
    nlp = treadle.load(args.model)
    texts = read_texts(args.dev, args.limit) * args.repeat
    print(f"Pipeline {nlp.pipe_names}, {len(texts):,} texts")

    start = time.perf_counter()
    next(iter(nlp.pipe(texts[:1], n_process=args.n_process)))
    startup = time.perf_counter() - start
    print(f"Start-up of {args.n_process} workers (to the first Doc): {startup:.1f} s")

    wps_1, _, n_words = words_per_second(nlp, texts, 1, args.batch_size)
    print(f"n_process=1: {wps_1:,.0f} words/s ({n_words:,} words)")
    wps_n, steady, _ = words_per_second(nlp, texts, args.n_process, args.batch_size)
    print(
        f"n_process={args.n_process}: {wps_n:,.0f} words/s with the start-up, "
        f"{steady:,.0f} words/s after the first Doc"
    )
    print(
        f"Ratio {args.n_process} processes / 1: {wps_n / wps_1:.2f} with the start-up, "
        f"{steady / wps_1:.2f} after it"
    )


if __name__ == "__main__":
    main()
