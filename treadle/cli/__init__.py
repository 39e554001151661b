"""The ``treadle`` command line."""

from __future__ import annotations

import sys

# Importing a command module registers its commands on ``app``.
import treadle.cli.benchmark  # noqa: F401
import treadle.cli.convert  # noqa: F401
import treadle.cli.debug_config  # noqa: F401
import treadle.cli.debug_data  # noqa: F401
import treadle.cli.evaluate  # noqa: F401
import treadle.cli.init_config  # noqa: F401
import treadle.cli.init_fill_config  # noqa: F401
import treadle.cli.init_vectors  # noqa: F401
import treadle.cli.package  # noqa: F401
import treadle.cli.pretrain  # noqa: F401
import treadle.cli.ray  # noqa: F401
import treadle.cli.train  # noqa: F401
import treadle.cli.visualize  # noqa: F401
from treadle.cli import info  # noqa: E402,F401
from treadle.cli._app import app
from treadle.cli._errors import run_app


def main() -> None:
    """Console-script entry point: treadle errors print as messages, not tracebacks."""
    sys.exit(run_app(app))


__all__ = ["app", "main"]
