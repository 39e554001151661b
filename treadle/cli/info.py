"""``treadle info``: versions and platform, for bug reports."""

from __future__ import annotations

import platform

import treadle
from treadle.cli._app import app


@app.command("info")
def info() -> None:
    """Print treadle's version, Python, platform and key dependency versions."""
    import numpy
    import torch


    rows = {
        "treadle": treadle.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "cuda available": str(torch.cuda.is_available()),
    }
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")
