"""``treadle init vectors``: convert a word-vectors file into a pipeline folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from treadle.cli._app import init_app
from treadle.cli._util import info, verbose_option


@init_app.command("vectors")
def init_vectors(
    lang: str = typer.Argument(..., help="Language code of the blank pipeline, e.g. en."),
    vectors_loc: str = typer.Argument(
        ..., help="Vectors file: .txt/.vec (optionally .gz), word2vec .bin, or .npy with a word list."
    ),
    output_dir: str = typer.Argument(..., help="Pipeline folder to write."),
    prune: int = typer.Option(
        -1, "--prune", "-p", help="Keep the N most frequent rows; other words map to their nearest kept row."
    ),
    truncate: int = typer.Option(0, "--truncate", "-t", help="Read only the first N rows."),
    name: str | None = typer.Option(None, "--name", "-n", help="Name of the vectors table."),
    mode: str = typer.Option("default", "--mode", "-m", help="default, or floret (subword hash buckets)."),
    lexemes_jsonl: str | None = typer.Option(
        None, "--lexemes-jsonl", help='JSONL of lexeme attributes, e.g. {"orth": "the", "is_stop": true}.'
    ),
    words: str | None = typer.Option(
        None, "--words", help="With a .npy matrix: its word list (.txt one a line, or .parquet)."
    ),
    verbose: bool = verbose_option(),
) -> None:
    """Write a blank LANG pipeline whose vocab holds the vectors of VECTORS_LOC to
    OUTPUT_DIR; use it as [initialize] vectors in a training config."""
    from treadle.training.init_vectors import init_vectors_pipeline

    with _progress() as progress:
        nlp, remap = init_vectors_pipeline(
            lang, vectors_loc, output_dir, prune=prune, truncate=truncate, name=name,
            mode=mode, lexemes_jsonl=lexemes_jsonl, words=words, progress=progress,
        )  # fmt: skip
    vectors = nlp.vocab.vectors
    rows, dims = vectors.shape
    if vectors.mode == "floret":
        info(f"✔ Saved {rows} floret buckets of {dims} dims to {output_dir}")
    else:
        info(f"✔ Saved {rows} vectors of {dims} dims ({vectors.n_keys} words) to {output_dir}")
    if remap:
        info(f"  Pruned: {len(remap)} words now share the row of their nearest kept word.")


@contextmanager
def _progress() -> Iterator[object]:
    """A rich progress bar on stderr, fed ``(rows read, total or None)``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stderr)
    bar = Progress(
        TextColumn("Reading vectors"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip
    task = bar.add_task("read", total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
