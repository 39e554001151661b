"""Running a command inside a private network namespace with only loopback up.

A local Ray instance advertises the machine's interface address even when told
127.0.0.1, so Ray tests run their ``treadle ray train`` in a namespace of their own
(``unshare --net``, then ``ip link set lo up``): nothing they send can leave the
machine. This needs root (CI runs as root); elsewhere the Ray tests are skipped with
that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import REPO

_SCRIPT = 'ip link set lo up && exec "$@"'


def private_network_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--net", "--", "sh", "-c", _SCRIPT, "sh", "true"], capture_output=True
    )
    return probe.returncode == 0


def isolated(cmd: list[str]) -> list[str]:
    """``cmd`` wrapped to run in a fresh network namespace with loopback up."""
    return ["unshare", "--net", "--", "sh", "-c", _SCRIPT, "sh", *cmd]


def treadle_cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "treadle", *map(str, args)]


@contextmanager
def ray_env() -> Iterator[dict[str, str]]:
    """Environment for a Ray run: its files under a short temporary folder (socket
    paths have a length limit), removed afterwards, and no auth for the local test
    cluster."""
    tmp = Path(tempfile.mkdtemp(prefix="tr-ray-", dir="/tmp"))
    env = {**os.environ, "RAY_TMPDIR": str(tmp), "RAY_AUTH_MODE": "disabled",
           "PYTHONPATH": str(REPO)}  # fmt: skip
    try:
        yield env
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
