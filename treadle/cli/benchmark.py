"""``treadle benchmark speed`` and ``treadle benchmark accuracy`` (the same command as
``treadle evaluate``)."""

from __future__ import annotations

from pathlib import Path

import typer

from treadle.cli._app import benchmark_app
from treadle.cli._util import code_option, require_gpu_option, verbose_option
from treadle.cli.evaluate import evaluate_cli
from treadle.config import import_code
from treadle.util import write_json

benchmark_app.command(
    "accuracy", help="Score a trained pipeline on annotated data (same as treadle evaluate)."
)(evaluate_cli)


@benchmark_app.command("speed")
def speed_cli(
    model: str = typer.Argument(..., help="A trained pipeline folder or package name."),
    data_path: Path = typer.Argument(
        ..., help="A .docbin file or folder, a .txt file (one text a line) or a .jsonl file."
    ),
    batch_size: int = typer.Option(64, "--batch-size", "-b", help="Texts per timed batch."),
    n_batches: int = typer.Option(20, "--n-batches", "-n", help="Timed batches."),
    warmup: int = typer.Option(3, "--warmup", "-w", help="Untimed batches run first."),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU to run on; -1 for the CPU."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the figures and every sample as JSON."
    ),
    code: list[str] = code_option(),
    verbose: bool = verbose_option(),
) -> None:
    """Words per second of MODEL on the texts of DATA_PATH: mean ± standard deviation,
    median, min and max over the timed batches (warm-up batches excluded)."""
    from treadle.language import load
    from treadle.training.speed import measure_speed, read_texts

    import_code(code or [])
    require_gpu_option(gpu_id)
    nlp = load(model)
    texts = read_texts(data_path, nlp)
    result = measure_speed(nlp, texts, batch_size=batch_size, n_batches=n_batches, warmup=warmup)
    device = f"GPU {gpu_id}" if gpu_id >= 0 else "CPU"
    print(
        f"{result.mean:,.0f} ± {result.std:,.0f} words/s (mean ± std over {n_batches} "
        f"batches of {batch_size} texts, {warmup} warm-up batches excluded; {device})"
    )
    print(f"median {result.median:,.0f}  min {result.min:,.0f}  max {result.max:,.0f}")
    print(f"{result.words:,} words timed; {len(texts):,} distinct texts")
    if output is not None:
        write_json(output, {**result.to_dict(), "model": model, "data": str(data_path)})
        typer.echo(f"✔ Saved figures to {output}", err=True)
