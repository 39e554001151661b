"""``treadle pretrain``: pretrain a pipeline's tok2vec layer on raw text."""

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
    require_gpu_option,
    verbose_option,
)


@app.command("pretrain", context_settings=OVERRIDES_CONTEXT)
def pretrain_cli(
    ctx: typer.Context,
    config_path: str = typer.Argument(..., help="Config with a [pretraining] section ('-' reads stdin)."),
    output_dir: Path = typer.Argument(..., help="Folder for model<N>.safetensors and log.jsonl."),
    code: list[str] = code_option(),
    resume_path: Path | None = typer.Option(
        None, "--resume-path", "-r", help="Weights file to continue pretraining from."
    ),
    epoch_resume: int | None = typer.Option(
        None,
        "--epoch-resume",
        "-er",
        help="Epoch number to continue from with --resume-path (default: N + 1 for a "
        "file named model<N>.safetensors).",
    ),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU to run on; -1 for the CPU."),
    verbose: bool = verbose_option(),
) -> None:
    """Pretrain the tok2vec layer [pretraining] names (component, layer) on the raw text
    of [corpora.pretrain], writing one weights file per epoch to OUTPUT_DIR. Settings can
    be overridden like train's, e.g. --paths.raw_text ./text.jsonl
    --pretraining.max_epochs 5. Load the result with [initialize] init_tok2vec."""
    from treadle.training.pretrain import pretrain

    check_output_dir(output_dir, "OUTPUT_DIR")
    require_gpu_option(gpu_id)
    config, overrides = load_user_config(config_path, ctx.args, code)
    if verbose and overrides:
        info("Overrides: " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()))
    if resume_path is not None:
        info(f"Resuming from {resume_path}")
    try:
        result = pretrain(
            config,
            output_dir,
            resume_path=resume_path,
            epoch_resume=epoch_resume,
            use_gpu=gpu_id,
            stderr=sys.stderr,
        )
    except KeyboardInterrupt:
        sys.exit(130)
    if result.weights:
        info(f"✔ Saved {len(result.weights)} weights files in {output_dir} (last: {result.weights[-1].name})")
