"""``treadle train``: train a pipeline from a config file."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from treadle.cli._app import app
from treadle.cli._util import (
    OVERRIDES_CONTEXT,
    code_option,
    info,
    read_training_command,
    require_gpu_option,
    verbose_option,
)


@app.command("train", context_settings=OVERRIDES_CONTEXT)
def train_cli(
    ctx: typer.Context,
    config_path: str = typer.Argument(..., help="Training config file ('-' reads stdin)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Folder for model-best/ and model-last/ (none: not saved)."
    ),
    code: list[str] = code_option(),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU to train on; -1 for the CPU."),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue the run whose model-last/ is in --output, from where it stopped.",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace a previous run's model-last/ and model-best/ in --output."
    ),
    n_workers: int = typer.Option(
        1,
        "--n-workers",
        "-n",
        min=1,
        help="Processes that train together on this machine (torch.distributed, "
        "gradients summed every step); for several machines see 'treadle ray train'.",
    ),
    verbose: bool = verbose_option(),
) -> None:
    """Train the pipeline CONFIG describes; settings can be overridden with options like
    --paths.train ./train.docbin --training.max_steps 1000 (also from the
    TREADLE_CONFIG_OVERRIDES environment variable)."""
    from treadle.training.checkpoint import LAST_DIR
    from treadle.training.initialize import nlp_for_run
    from treadle.training.loop import train

    require_gpu_option(gpu_id)  # before reading anything: the flag's error first
    config = read_training_command(
        ctx, config_path, code, output, resume=resume, overwrite=overwrite, verbose=verbose
    )
    if n_workers > 1:
        from treadle.distributed.job import TrainingJob
        from treadle.distributed.processes import train_in_processes

        job = TrainingJob.create(config, code, output, resume=resume, overwrite=overwrite)
        info(f"Training on {n_workers} workers" + (f"; output: {output}" if output else ""))
        status = train_in_processes(job, n_workers, gpu_id=gpu_id)
        if status:
            sys.exit(status)
        return
    nlp = nlp_for_run(config, output, resume=resume, use_gpu=gpu_id)
    if resume:
        info(f"Resuming from {output / LAST_DIR}" if output is not None else "Resuming")
    info(f"Pipeline: {', '.join(nlp.pipe_names) or '(empty)'}")
    if output is not None:
        info(f"Output: {output}")
    try:
        _, best = train(
            nlp, output, use_gpu=gpu_id, stdout=sys.stdout, stderr=sys.stderr, resume=resume,
            overwrite=overwrite,
        )  # fmt: skip
    except KeyboardInterrupt:
        # train() saved model-last and said so; 130 is the shell's code for Ctrl-C.
        sys.exit(130)
    if output is not None:
        info(f"✔ Saved {output / LAST_DIR}" + (f" and {best}" if best is not None else ""))
