"""``python -m treadle`` (treadle/__main__.py)."""

import subprocess
import sys


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "treadle", "--help"], capture_output=True, text=True, check=True
    )
    assert "info" in out.stdout
