"""``treadle debug data``: statistics and checks of the training and development data."""

from __future__ import annotations

import typer

from treadle.cli._app import debug_app
from treadle.cli._util import (
    OVERRIDES_CONTEXT,
    code_option,
    default_config,
    info,
    load_user_config,
    verbose_option,
)
from treadle.config import Config, parse_cli_overrides
from treadle.errors import DataError

_MARKS = {"error": "✘", "warning": "⚠", "info": "ℹ", "ok": "✔"}


def _rule(title: str) -> str:
    return f"\n{'=' * 8} {title} {'=' * max(4, 70 - len(title))}"


@debug_app.command("data", context_settings=OVERRIDES_CONTEXT)
def debug_data_command(
    ctx: typer.Context,
    config_path: str = typer.Argument(..., help="Training config ('-' reads stdin)."),
    code: list[str] = code_option(),
    ignore_warnings: bool = typer.Option(
        False, "--ignore-warnings", "-IW", help="Don't print warnings, only errors and stats."
    ),
    verbose: bool = verbose_option(),
) -> None:
    """Read the corpora CONFIG names (with overrides like --paths.train ./train.docbin),
    print statistics and flag problems. Exits 1 if an error was found."""
    from treadle.training.debug_data import WARNING, debug_data

    config, overrides = load_user_config(config_path, [], code)
    overrides = parse_cli_overrides(list(ctx.args))
    if overrides:
        info("Overrides: " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()))
    # A partial config gets treadle's defaults (corpora readers, [paths]) first, so
    # that --paths.train works on it too.
    merged = default_config().merge(config)
    config = Config().from_str(merged.to_str(), interpolate=False, overrides=overrides)
    report = debug_data(config)
    train, dev = report.train, report.dev
    echo = typer.echo
    echo(_rule("Data"))
    echo(f"Language: {report.lang}")
    pipe = ", ".join(f"{n} ({f})" if n != f else n for n, f in report.pipeline) or "(empty)"
    echo(f"Pipeline: {pipe}")
    echo(f"Trained components: {', '.join(report.trained) or '(none)'}")
    for label, stats in (("Training", train), ("Development", dev)):
        sents = f", {stats.n_sents:,} sentence(s)" if stats.n_docs_with_sents else ""
        echo(
            f"{label}: {stats.n_docs:,} doc(s), {stats.n_words:,} word(s) "
            f"({len(stats.words):,} unique){sents}"
        )
    annotated = sorted(set(train.annotated_docs) | set(dev.annotated_docs))
    if annotated:
        echo(
            "Annotated docs (train / dev): "
            + ", ".join(
                f"{k} {train.annotated_docs.get(k, 0):,}/{dev.annotated_docs.get(k, 0):,}"
                for k in annotated
            )
        )
    for section, findings in report.sections().items():
        shown = [f for f in findings if not (ignore_warnings and f.level == WARNING)]
        if not shown:
            continue
        echo(_rule(section))
        for finding in shown:
            echo(f"{_MARKS.get(finding.level, '-')} {finding.message}")
            details = finding.details
            if finding.check == "labels.count" and not verbose:
                details = details[:10] + (["..."] if len(details) > 10 else [])
                echo("  " + ", ".join(details))
                continue
            for line in details if verbose else details[:5]:
                echo(f"    {line}")
    n_err, n_warn = len(report.errors), len(report.warnings)
    echo(_rule("Summary"))
    echo(
        f"{_MARKS['error'] if n_err else _MARKS['ok']} {n_err} error(s), {n_warn} warning(s)"
        + (" (not shown)" if ignore_warnings and n_warn else "")
    )
    if n_err:
        # Exit status 1 through the CLI's error path (message on stderr).
        raise DataError(f"debug data: {n_err} error(s) found in the data (see above).")
