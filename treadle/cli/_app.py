"""The typer application every command module attaches to.

Commands live one per module in ``treadle/cli/`` and do argument parsing and
printing only; the work happens in the library.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="treadle",
    help="Train and run NLP pipelines from a single config file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts name config sections like [initialize]: plain text, not Rich markup.
    rich_markup_mode=None,
)
debug_app = typer.Typer(
    help="Inspect configs and training data.", no_args_is_help=True, rich_markup_mode=None
)
init_app = typer.Typer(
    help="Create starter and filled configs.", no_args_is_help=True, rich_markup_mode=None
)
ray_app = typer.Typer(
    help="Train on several workers with Ray (pip install 'treadle[ray]').",
    no_args_is_help=True,
    rich_markup_mode=None,
)
benchmark_app = typer.Typer(
    help="Measure a trained pipeline: speed, or accuracy (as evaluate).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(debug_app, name="debug")
app.add_typer(benchmark_app, name="benchmark")
app.add_typer(ray_app, name="ray")
app.add_typer(init_app, name="init")
