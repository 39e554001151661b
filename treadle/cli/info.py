"""``treadle info``: versions and platform for bug reports, or a pipeline's meta."""

from __future__ import annotations

import json
import platform
from typing import Any

import typer

import treadle
from treadle.cli._app import app


@app.command("info")
def info(
    model: str | None = typer.Argument(
        None, help="A saved pipeline folder or an installed pipeline package's name."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the data as JSON."),
) -> None:
    """Print treadle's version, Python, platform and key dependency versions; with
    MODEL, the pipeline's name, version, language, components, labels and scores."""
    if model is not None:
        _pipeline_info(model, as_json)
        return
    import numpy
    import torch

    rows = {
        "treadle": treadle.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "cuda available": str(torch.cuda.is_available()),
    }
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    _print_rows(rows)


def _pipeline_info(model: str, as_json: bool) -> None:
    from treadle.serialization import read_saved_meta, resolve_pipeline

    path = resolve_pipeline(model)
    meta = read_saved_meta(path)
    meta.pop("files", None)  # the hashes: for checking, not for reading
    if as_json:
        print(json.dumps({"path": str(path), **meta}, indent=2, default=str))
        return
    rows = {
        "name": meta.get("name", ""),
        "version": meta.get("version", ""),
        "lang": meta.get("lang", ""),
        "description": meta.get("description", ""),
        "path": str(path),
        "treadle version": meta.get("treadle_version", ""),
        "pipeline": ", ".join(meta.get("pipeline", [])),
        "components": ", ".join(meta.get("components", [])),
    }
    _print_rows({k: str(v) for k, v in rows.items() if v})
    labels = {c: v for c, v in (meta.get("labels") or {}).items() if v}
    if labels:
        print("\nlabels")
        _print_rows({c: ", ".join(map(str, v)) for c, v in labels.items()}, indent=2)
    scores = _scores(meta.get("performance") or {})
    if scores:
        print("\nperformance")
        _print_rows(scores, indent=2)


def _scores(performance: dict[str, Any]) -> dict[str, str]:
    """The numeric scores as percentages (speed as words per second); tables and
    losses are left to --json."""
    shown = {}
    for key, value in performance.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        shown[key] = f"{value:,.0f}" if key == "speed" else f"{value * 100:.2f}"
    return shown


def _print_rows(rows: dict[str, str], indent: int = 0) -> None:
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"{' ' * indent}{key:<{width}}  {value}")
