"""``treadle init fill-config``: write a config with every default filled in."""

from __future__ import annotations

import difflib

import typer

from treadle.cli._app import init_app
from treadle.cli._util import code_option, default_config, info, verbose_option
from treadle.config import import_code, load_config, registry


@init_app.command("fill-config")
def init_fill_config(
    base_path: str = typer.Argument(..., help="The (partial) config to fill ('-': stdin)."),
    output: str = typer.Argument(..., help="Where to write the filled config ('-': stdout)."),
    code: list[str] = code_option(),
    diff: bool = typer.Option(False, "--diff", "-D", help="Show what was added."),
    pretraining: bool = typer.Option(
        False, "--pretraining", "-pt", help="Include the default [pretraining] block."
    ),
    verbose: bool = verbose_option(),
) -> None:
    """Merge BASE onto treadle's default config, write every function's defaults in,
    validate, and save the complete config to OUTPUT.
    """
    import_code(code)
    base = load_config(base_path)
    filled = registry.fill(default_config(pretraining=pretraining).merge(base), validate=True)
    text = filled.to_str()
    if output == "-":
        typer.echo(text, nl=False)
    else:
        filled.to_disk(output)
        info(f"✔ Saved filled config to {output}")
    if diff:
        lines = difflib.unified_diff(
            base.to_str().splitlines(),
            text.splitlines(),
            fromfile=base_path,
            tofile=output,
            lineterm="",
        )
        # With the config on stdout, the diff goes to stderr so the two don't mix.
        typer.echo("\n".join(lines), err=output == "-")
