"""``treadle evaluate``: score a trained pipeline on annotated data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from treadle.cli._app import app
from treadle.cli._util import code_option, require_gpu_option, verbose_option
from treadle.config import import_code
from treadle.errors import DataError
from treadle.util import write_json

# Score keys shown with their meaning, in this order when present.
_NAMES = {
    "token_acc": "TOK",
    "tag_acc": "TAG",
    "pos_acc": "POS",
    "morph_acc": "MORPH",
    "lemma_acc": "LEMMA",
    "dep_uas": "UAS",
    "dep_las": "LAS",
    "ents_p": "NER P",
    "ents_r": "NER R",
    "ents_f": "NER F",
    "cats_score": "TEXTCAT",
    "sents_p": "SENT P",
    "sents_r": "SENT R",
    "sents_f": "SENT F",
    "speed": "SPEED",
}


@app.command("evaluate")
def evaluate_cli(
    model: str = typer.Argument(..., help="A trained pipeline folder (e.g. output/model-best) or package name."),
    data_path: Path = typer.Argument(..., help="A .docbin file or a folder of them."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write all scores as JSON to this file."
    ),
    code: list[str] = code_option(),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU to run on; -1 for the CPU."),
    gold_preproc: bool = typer.Option(
        False, "--gold-preproc", "-G", help="Use the data's own tokenization."
    ),
    verbose: bool = verbose_option(),
) -> None:
    """Run MODEL over DATA_PATH and print its scores, with per-label tables."""
    from treadle.language import load
    from treadle.training.corpus import Corpus
    from treadle.training.initialize import read_corpus

    import_code(code or [])
    require_gpu_option(gpu_id)
    nlp = load(model)
    reader = Corpus(str(data_path), gold_preproc=gold_preproc)
    examples = list(read_corpus(reader, nlp, "data"))
    if not examples:
        raise DataError(f"{data_path}: no documents to evaluate.")
    scores = nlp.evaluate(examples)
    print_scores(scores)
    if output is not None:
        write_json(output, _jsonable(scores))
        typer.echo(f"✔ Saved scores to {output}", err=True)


def print_scores(scores: dict[str, Any]) -> None:
    console = Console()
    table = Table(title="Results", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    shown = [k for k in _NAMES if isinstance(scores.get(k), int | float)]
    shown += [
        k for k, v in scores.items()
        if k not in _NAMES and isinstance(v, int | float) and not isinstance(v, bool)
    ]  # fmt: skip
    for key in shown:
        value = scores[key]
        text = f"{value:,.0f}" if key == "speed" else f"{value * 100:.2f}"
        table.add_row(_NAMES.get(key, key), text)
    console.print(table)
    for key, value in scores.items():
        if not isinstance(value, dict) or not value:
            continue
        rows = {k: v for k, v in value.items() if isinstance(v, dict)}
        if rows:
            columns = sorted({c for v in rows.values() for c in v})
            per = Table(title=key)
            per.add_column("label")
            for c in columns:
                per.add_column(c.upper(), justify="right")
            for label, vals in rows.items():
                per.add_row(label, *(_pct(vals.get(c)) for c in columns))
            console.print(per)
        elif all(isinstance(v, int | float) for v in value.values()):
            per = Table(title=key)
            per.add_column("label")
            per.add_column("score", justify="right")
            for label, v in value.items():
                per.add_row(str(label), _pct(v))
            console.print(per)


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value * 100:.2f}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
