"""``treadle visualize``: run a pipeline over texts and draw the result as HTML."""

from __future__ import annotations

from pathlib import Path

import typer

from treadle.cli._app import app
from treadle.cli._util import code_option, verbose_option
from treadle.errors import DataError


@app.command("visualize")
def visualize_cli(
    model: str = typer.Argument(..., help="A saved pipeline folder (e.g. output/model-best)."),
    text_or_file: str = typer.Argument(
        ..., help="A text, or a file of texts, one per line (blank lines skipped)."
    ),
    style: str = typer.Option("dep", "--style", "-s", help="dep, ent or span."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the HTML page here instead of serving it."
    ),
    spans_key: str = typer.Option(
        "sc", "--spans-key", help="The doc.spans group to draw with --style span."
    ),
    port: int = typer.Option(5000, "--port", "-p", help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Host to serve on."),
    code: list[str] = code_option(),
    verbose: bool = verbose_option(),
) -> None:
    """Run MODEL over TEXT_OR_FILE and show the parses, entities or spans: written to
    --output as an HTML page, or served at http://HOST:PORT until Ctrl-C."""
    from treadle.config import import_code
    from treadle.language import load
    from treadle.visualize import STYLES, render, serve

    if style not in STYLES:
        raise DataError(f"--style {style!r} is not a style; use one of: {', '.join(STYLES)}")
    import_code(code or [])
    texts = _read_texts(text_or_file)
    docs = list(load(model).pipe(texts))
    options = {"spans_key": spans_key} if style == "span" else None
    if output is not None:
        html = render(docs, style=style, page=True, options=options)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf8")
        typer.echo(
            f"✔ Saved the {style} visualization of {len(docs)} text(s) to {output}", err=True
        )
        return
    serve(docs, style=style, port=port, host=host, options=options)


def _read_texts(text_or_file: str) -> list[str]:
    path = Path(text_or_file)
    try:
        is_file = path.is_file()
    except OSError:  # a text too long or odd to be a path name
        is_file = False
    if not is_file:
        if not text_or_file.strip():
            raise DataError("TEXT_OR_FILE is empty: give a text or a file of texts")
        return [text_or_file]
    try:
        lines = path.read_text(encoding="utf8").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    texts = [line for line in lines if line.strip()]
    if not texts:
        raise DataError(f"{path}: no texts (every line is blank)")
    return texts
