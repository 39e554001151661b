"""``treadle debug config``: validate a config and show it filled in."""

from __future__ import annotations

import typer

from treadle.cli._app import debug_app
from treadle.cli._util import OVERRIDES_CONTEXT, code_option, info, load_user_config, verbose_option
from treadle.config import registry
from treadle.config.config import config_variables
from treadle.config.resolve import used_functions


@debug_app.command("config", context_settings=OVERRIDES_CONTEXT)
def debug_config(
    ctx: typer.Context,
    config_path: str = typer.Argument(..., help="Config file to check ('-' reads stdin)."),
    code: list[str] = code_option(),
    show_functions: bool = typer.Option(
        False, "--show-functions", "-F", help="List the registered functions the config calls."
    ),
    show_variables: bool = typer.Option(
        False, "--show-variables", "-V", help="List each ${...} variable and its value."
    ),
    verbose: bool = verbose_option(),
) -> None:
    """Validate CONFIG (with overrides like --training.dropout 0.2) and print it filled.

    A pipeline config (one with [nlp] or [training]) gets what ``treadle train`` runs
    at start-up, the pipeline built but no data read, so a config that passes here
    starts training; it is printed as train uses it, over treadle's defaults. Any
    other config is filled and validated as it is. Every default of every registered
    function, components included, is written in.
    """
    config, overrides = load_user_config(config_path, ctx.args, code)
    if overrides:
        info("Overrides: " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()))
    if "nlp" in config or "training" in config:
        # Here, not at the top: it loads torch, which `treadle --help` need not wait for.
        from treadle.training.initialize import check_training_config

        filled = check_training_config(config).filled
    else:
        filled = registry.fill(config, validate=True)
    typer.echo(filled.to_str(), nl=False)
    if show_functions:
        typer.echo("\nRegistered functions used:")
        for use in used_functions(filled, registry=registry):
            where = registry.get_registry(use.category).find(use.name)
            location = where["file"] or where["module"] or "?"
            if where["line_no"]:
                location = f"{location}:{where['line_no']}"
            typer.echo(
                f"  {'.'.join(map(str, use.path))}: @{use.category} = {use.name!r}"
                f"  ({where['module']}, {location})"
            )
    if show_variables:
        variables = config_variables(filled)
        typer.echo("\nVariables:")
        if not variables:
            typer.echo("  (none)")
        for ref, value in variables.items():
            typer.echo(f"  ${{{ref}}} = {value!r}")
    info("✔ Config is valid")
