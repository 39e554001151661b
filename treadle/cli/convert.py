"""``treadle convert``: corpus files (CoNLL-U, IOB, JSONL, LABEL TEXT) to ``.docbin`` files."""

from __future__ import annotations

from pathlib import Path

import typer

from treadle.cli._app import app


@app.command("convert")
def convert(
    input_path: Path = typer.Argument(
        ..., help="A file, or a directory of files (subdirectories too), to convert"
    ),
    output_dir: Path = typer.Argument(..., help="Directory for the output files"),
    converter: str = typer.Option(
        "auto",
        "--converter",
        "-c",
        help="auto (by extension), conllu, iob, jsonl or textcat (LABEL TEXT lines)",
    ),
    n_sents: int = typer.Option(1, "--n-sents", "-n", help="Sentences per Doc"),
    merge_subtokens: bool = typer.Option(
        False, "--merge-subtokens", "-T", help="CoNLL-U: one token per multiword token"
    ),
    lang: str = typer.Option("en", "--lang", "-l", help="Language (JSONL: its tokenizer)"),
    file_type: str = typer.Option("docbin", "--file-type", "-t", help="docbin or json"),
    verbose: bool = typer.Option(False, "--verbose", help="Show tracebacks on errors"),
) -> None:
    """Convert corpus files to treadle's binary format, one output file per input file;
    a directory's subfolders become subfolders of OUTPUT_DIR."""
    from treadle.cli._util import check_output_dir
    from treadle.training.converters.run import convert_file, input_files, output_dirs

    check_output_dir(output_dir, "OUTPUT_DIR")
    files = input_files(input_path, converter)
    out_dirs = output_dirs(input_path, files, output_dir, file_type)
    for path, out_dir in zip(files, out_dirs, strict=True):
        res = convert_file(
            path, out_dir, converter=converter, n_sents=n_sents,
            merge_subtokens=merge_subtokens, lang=lang, file_type=file_type,
        )  # fmt: skip
        print(
            f"✔ {res.input} ({res.converter}) -> {res.output}: {res.n_docs:,} docs, "
            f"{res.n_sents:,} sentences, {res.n_words:,} words"
        )
