"""``treadle train``: train a pipeline from a config file."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from treadle.cli._app import app
from treadle.cli._util import (
    OVERRIDES_CONTEXT,
    check_output_dir,
    code_option,
    info,
    load_user_config,
    verbose_option,
)
from treadle.errors import ConfigError


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
    verbose: bool = verbose_option(),
) -> None:
    """Train the pipeline CONFIG describes; settings can be overridden with options like
    --paths.train ./train.docbin --training.max_steps 1000 (also from the
    TREADLE_CONFIG_OVERRIDES environment variable)."""
    from treadle.training.checkpoint import LAST_DIR, check_output_folder, has_training_state
    from treadle.training.initialize import fill_training_config, init_nlp
    from treadle.training.loop import train

    if resume and overwrite:
        raise ConfigError("--resume continues the run in --output, --overwrite replaces it: pick one.")
    if output is not None:
        # Before the pipeline is built: a refusal should not wait for initialization.
        check_output_dir(output, "--output")
        check_output_folder(output, resume=resume, overwrite=overwrite)
    config, overrides = load_user_config(config_path, ctx.args, code)
    if verbose and overrides:
        info("Overrides: " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()))
    if resume:
        from treadle.language import load

        if output is None:
            raise ConfigError("--resume needs --output, the folder of the run to continue.")
        last = output / LAST_DIR
        if not has_training_state(last):
            raise ConfigError(
                f"Nothing to resume in {output}: no {LAST_DIR}/ with training state. "
                f"Start the run without --resume."
            )
        if gpu_id >= 0:
            from treadle.ml import require_gpu

            require_gpu(gpu_id)
        nlp = load(last)
        # The current config (with today's overrides) drives the rest of the run.
        filled = fill_training_config(config).interpolate()
        nlp.config = {k: v for k, v in filled.items() if k != "components"}
        info(f"Resuming from {last}")
    else:
        nlp = init_nlp(config, use_gpu=gpu_id)
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
