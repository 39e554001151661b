"""Turn treadle errors into a clear message and exit code 1 (traceback with --verbose)."""

from __future__ import annotations

import os
import sys
import traceback

import typer

from treadle.errors import TreadleError


def _format_error(err: TreadleError) -> str:
    """``✘ message``; the first line in bold red on a terminal, plain text otherwise."""
    text = f"✘ {err}"
    if not sys.stderr.isatty() or os.environ.get("NO_COLOR"):
        return text
    first, _, rest = text.partition("\n")
    styled = f"\x1b[1;31m{first}\x1b[0m"
    return f"{styled}\n{rest}" if rest else styled


def run_app(app: typer.Typer, argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args or os.environ.get("TREADLE_VERBOSE") == "1"
    try:
        app(args=args, prog_name="treadle", standalone_mode=False)
    except TreadleError as err:
        if verbose:
            traceback.print_exc()
        print(_format_error(err), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except SystemExit as exit_:
        return int(exit_.code or 0)
    except Exception as err:
        # Usage errors from typer's (possibly vendored) click: duck-typed so we do not
        # depend on where click lives.
        if hasattr(err, "show") and hasattr(err, "exit_code"):
            err.show()
            return int(err.exit_code)
        if type(err).__name__ == "Abort":
            print("Aborted.", file=sys.stderr)
            return 1
        # Not a treadle error: a bug, or a failure treadle does not yet name. The user
        # gets one line and the way to the details, never a bare traceback.
        if verbose:
            traceback.print_exc()
        print(_format_unexpected(err, verbose=verbose), file=sys.stderr)
        return 1
    return 0


def _format_unexpected(err: BaseException, *, verbose: bool) -> str:
    detail = str(err).strip().splitlines()
    first = detail[0][:200] if detail else ""
    text = f"✘ Unexpected error: {type(err).__name__}" + (f": {first}" if first else "")
    if not verbose:
        text += "\n  Rerun with --verbose for the traceback (and please report it)."
    return text
