"""Stopping a real ``treadle train`` process at random moments: Ctrl-C (SIGINT) and
``kill -9``. Whatever the moment, model-last and model-best load, and ``--resume`` ends
with the weights of a run never stopped."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import treadle
from tests.helpers import (
    REPO,
    TRAIN_CONFIG,
    assert_same_weights,
    cli,
    data_args,
    write_config,
    write_tagger_corpora,
)

# Each step sleeps a little so that a signal lands in the middle of the run.
SLOW_STEPS = """
import time
from treadle.config import registry

@registry.callbacks("test_slow_steps.v1")
def make_slow_steps(seconds: float):
    def before_update(nlp, info):
        time.sleep(seconds)
    return before_update
"""
STEPS = 240


def _config(tmp_path: Path) -> tuple[Path, Path]:
    code = tmp_path / "slow_steps.py"
    code.write_text(SLOW_STEPS)
    text = TRAIN_CONFIG.replace("max_steps = 12", f"max_steps = {STEPS}").replace(
        "eval_frequency = 4", "eval_frequency = 40"
    ).replace(
        "[training.batcher]\n",
        '[training.before_update]\n@callbacks = "test_slow_steps.v1"\nseconds = 0.01\n\n'
        "[training.batcher]\n",
    )
    return write_config(tmp_path / "config.cfg", text), code


def _start(cfg: Path, code: Path, out: Path, data: dict[str, Path]) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "treadle", "train", str(cfg), "--output", str(out),
           "--code", str(code), *data_args(data)]  # fmt: skip
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for_first_checkpoint(proc: subprocess.Popen[str], out: Path) -> None:
    state = out / "model-last" / "training" / "state.json"
    deadline = time.monotonic() + 120
    while not state.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "no checkpoint within 2 minutes"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_stopped_at_random_moments_resume_exactly(tmp_path, sig):
    data = write_tagger_corpora(tmp_path / "data")
    cfg, code = _config(tmp_path)
    ref = tmp_path / "ref"
    assert cli("train", cfg, "--output", ref, "--code", code, *data_args(data)) == 0
    rng = random.Random(sig)
    for trial in range(2):
        out = tmp_path / f"run{trial}"
        proc = _start(cfg, code, out, data)
        _wait_for_first_checkpoint(proc, out)
        time.sleep(rng.uniform(0.0, 1.5))
        if proc.poll() is not None:
            pytest.skip("the run ended before the signal: the machine is faster than assumed")
        os.kill(proc.pid, sig)
        proc.wait(timeout=120)
        err = proc.stderr.read() if proc.stderr else ""
        if sig == signal.SIGINT:
            assert proc.returncode == 130, err
            assert "Interrupted at step" in err and "--resume" in err, err
        step = json.loads((out / "model-last" / "training" / "state.json").read_text())["step"]
        assert 0 < step < STEPS
        treadle.load(out / "model-last")
        treadle.load(out / "model-best")
        assert cli("train", cfg, "--output", out, "--code", code, *data_args(data), "--resume") == 0
        assert_same_weights(ref / "model-last", out / "model-last")
        leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
        assert leftovers == [], leftovers
