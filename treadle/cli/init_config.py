"""``treadle init config``: write a complete starter config with recommended settings."""

from __future__ import annotations

from pathlib import Path

import typer

from treadle.cli._app import init_app
from treadle.cli._util import info, verbose_option
from treadle.errors import ConfigError
from treadle.util import atomic_write_text


@init_app.command("config")
def init_config(
    output: str = typer.Argument(..., help="Where to write the config ('-': stdout)."),
    lang: str = typer.Option("en", "--lang", "-l", help="Language code, e.g. en."),
    pipeline: str = typer.Option(
        "tagger", "--pipeline", "-p", help="Comma-separated components, e.g. tagger,textcat."
    ),
    optimize: str = typer.Option(
        "efficiency",
        "--optimize",
        "-o",
        help="efficiency (smaller, faster model) or accuracy (larger, slower model).",
    ),
    transformer: str | None = typer.Option(
        None,
        "--transformer",
        "-T",
        help="With --optimize accuracy: the Hugging Face model (hub name or local folder) "
        "to fine-tune; default roberta-base for en, bert-base-multilingual-cased otherwise; "
        "'none' for the wide CNN encoder with character features (CPU serving, small memory).",
    ),
    vectors: str | None = typer.Option(
        None,
        "--vectors",
        "-V",
        help="A pipeline folder from `treadle init vectors`: sets paths.vectors; with "
        "--optimize accuracy the CNN encoder uses the vectors as features (no transformer).",
    ),
    gpu: bool = typer.Option(False, "--gpu", "-G", help="Recommend settings for a GPU."),
    pretraining: bool = typer.Option(
        False, "--pretraining", "-pt", help="Include the [pretraining] block."
    ),
    force: bool = typer.Option(False, "--force", "-F", help="Overwrite an existing OUTPUT."),
    verbose: bool = verbose_option(),
) -> None:
    """Write a starter training config for LANG and PIPELINE to OUTPUT, with every
    setting filled in. Then set paths.train / paths.dev and run `treadle train`.

    --optimize accuracy fine-tunes a transformer (a `transformer` component that every
    component listens to) when the transformers extra is installed, and a wide CNN encoder
    (hash embeddings + character CNN) otherwise or with --transformer none. With --vectors
    it always uses that encoder, with the
    static vectors as extra features (include_static_vectors = true).
    """
    from treadle.training.templates import make_starter_config

    if output != "-" and Path(output).exists() and not force:
        raise ConfigError(f"{output} already exists; pass --force to overwrite it.")
    model_name = _pick_transformer(lang, optimize, transformer, gpu, vectors)
    config, header = make_starter_config(
        lang, pipeline, optimize=optimize, gpu=gpu, pretraining=pretraining,
        transformer=model_name, vectors=vectors,
    )  # fmt: skip
    text = header + config.to_str()
    if output == "-":
        typer.echo(text, nl=False)
        return

    atomic_write_text(Path(output), text)
    info(f"✔ Saved starter config to {output}")
    info(f"  Next: treadle train {output} --output ./output --paths.train TRAIN --paths.dev DEV")



# --transformer none: the accuracy starter without a transformer.
NO_TRANSFORMER = "none"


def _pick_transformer(
    lang: str, optimize: str, transformer: str | None, gpu: bool, vectors: str | None = None
) -> str | None:
    """The Hugging Face model an accuracy config fine-tunes, or None for the CNN; says
    on stderr why there is none, or when the default is slow to train here."""
    from treadle.training.templates import quickstart

    if optimize != "accuracy":
        if transformer is not None:
            raise ConfigError("--transformer goes with --optimize accuracy.")
        return None
    if transformer is not None and transformer.strip().lower() == NO_TRANSFORMER:
        info("ℹ --optimize accuracy --transformer none: the CNN encoder, no transformer.")
        return None
    if vectors is not None:
        if transformer is not None:
            raise ConfigError(
                "--vectors goes with the CNN encoder, not a transformer; leave out --transformer."
            )
        # Static vectors are features of the CNN encoder: asking for them picks it.
        info("ℹ --optimize accuracy with --vectors: the CNN encoder with static vectors.")
        return None
    hint = 'pip install "treadle[transformers]"'
    if not quickstart.transformers_available():
        if transformer is not None:
            raise ConfigError(
                f"--transformer {transformer}: the transformers extra is not installed. "
                f"Install it with: {hint}"
            )
        info(
            "ℹ --optimize accuracy: the transformers extra is not installed, so this config "
            f"uses the CNN encoder. For a transformer pipeline: {hint}"
        )
        return None
    if transformer is not None:
        return transformer
    name = quickstart.default_transformer(lang)
    if not gpu:
        info(
            f"ℹ --optimize accuracy fine-tunes {name}, a base-size transformer meant for a "
            "GPU (--gpu): training it on the CPU is slow. For the CPU, pick a small model "
            "with --transformer, e.g. --transformer sentence-transformers/all-MiniLM-L6-v2."
        )
    return name
