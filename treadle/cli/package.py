"""``treadle package``: a saved pipeline as an installable Python package."""

from __future__ import annotations

from pathlib import Path

import typer

from treadle.cli._app import app
from treadle.cli._util import verbose_option


@app.command("package")
def package_cli(
    input_dir: Path = typer.Argument(..., help="A saved pipeline folder (e.g. output/model-best)."),
    output_dir: Path = typer.Argument(..., help="Folder to write the package folder into."),
    name: str | None = typer.Option(
        None, "--name", "-n", help="Package name; default {lang}_{meta name}, e.g. en_pipeline."
    ),
    version: str | None = typer.Option(
        None, "--version", "-v", help="Package version; default the version in meta.json."
    ),
    build: str = typer.Option(
        "wheel", "--build", "-b", help="What to build: wheel, sdist, both (wheel,sdist) or none."
    ),
    force: bool = typer.Option(False, "--force", "-f", help="Replace an existing package folder."),
    verbose: bool = verbose_option(),
) -> None:
    """Write OUTPUT_DIR/{name}-{version}/, a Python package holding the pipeline, and
    build it. Once pip installed, treadle.load("{name}") finds the pipeline by name."""
    from treadle.packaging import package

    kinds = () if build.strip() == "none" else tuple(b.strip() for b in build.split(",") if b)
    target, built = package(
        input_dir, output_dir, name=name, version=version, build=kinds, force=force
    )
    print(f"✔ Package folder: {target}")
    for path in built:
        print(f"✔ Built {path}")
    if built:
        print(f"  Install it with: pip install {built[0]}")
