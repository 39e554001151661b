"""``treadle ray train``: train one pipeline on several Ray workers."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from treadle.cli._app import ray_app
from treadle.cli._util import (
    OVERRIDES_CONTEXT,
    code_option,
    info,
    read_training_command,
    verbose_option,
)
from treadle.errors import ConfigError


@ray_app.command("train", context_settings=OVERRIDES_CONTEXT)
def ray_train_cli(
    ctx: typer.Context,
    config_path: str = typer.Argument(..., help="Training config file ('-' reads stdin)."),
    n_workers: int = typer.Option(2, "--n-workers", "-n", min=1, help="Workers (Ray actors)."),
    address: str | None = typer.Option(
        None, "--address", "-a", help="Ray cluster to join (host:port); none: a local instance."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Folder for model-best/ and model-last/ (none: not saved)."
    ),
    code: list[str] = code_option(),
    strategy: str = typer.Option(
        "sync",
        "--strategy",
        help="sync: gradients summed every step (same result as one process); async: "
        "each worker owns part of the parameters, nobody waits.",
    ),
    use_gpu: bool = typer.Option(False, "--use-gpu", help="One GPU per worker."),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="Any value >= 0 means --use-gpu."),
    cpus_per_worker: int = typer.Option(
        1, "--cpus-per-worker", min=1, help="CPUs (and torch threads) each worker gets."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Continue the run whose model-last/ is in --output."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace a previous run's model-last/ and model-best/ in --output."
    ),
    verbose: bool = verbose_option(),
) -> None:
    """Train the pipeline CONFIG describes on N Ray workers, with the settings and
    output of 'treadle train' (overrides like --training.max_steps 1000 work too)."""
    from treadle.distributed.job import TrainingJob
    from treadle.distributed.ray_train import STRATEGIES, import_ray, ray_train

    if strategy not in STRATEGIES:
        raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    import_ray()  # before any work: a missing extra is one line
    config = read_training_command(
        ctx, config_path, code, output, resume=resume, overwrite=overwrite, verbose=verbose
    )
    job = TrainingJob.create(config, code, output, resume=resume, overwrite=overwrite)
    where = f"the Ray cluster at {address}" if address else "a local Ray instance"
    info(f"Training on {n_workers} workers in {where}" + (f"; output: {output}" if output else ""))
    status = ray_train(
        job, n_workers, address=address, strategy=strategy, use_gpu=use_gpu or gpu_id >= 0,
        cpus_per_worker=cpus_per_worker,
    )  # fmt: skip
    if status:
        sys.exit(status)
