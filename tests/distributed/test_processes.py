"""``treadle train --n-workers N``: synchronous training on local processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import treadle
from tests.helpers import (
    HANG_S,
    REPO,
    TRAIN_CONFIG,
    cli,
    data_args,
    write_config,
    write_tagger_corpora,
)
from treadle.config import Config
from treadle.distributed import TrainingJob
from treadle.distributed.processes import train_in_processes

AVERAGED = TRAIN_CONFIG.replace("use_averages = false", "use_averages = true")
_WORDS_BATCHER = TRAIN_CONFIG[
    TRAIN_CONFIG.index("[training.batcher]\n") : TRAIN_CONFIG.index("[training.optimizer]")
]


def by_sequence(text: str, size: int) -> str:
    """``text`` with batches of exactly ``size`` sentences (the last of an epoch fewer)."""
    block = f'[training.batcher]\n@batchers = "treadle.batch_by_sequence.v1"\nsize = {size}\n\n'
    return text.replace(_WORDS_BATCHER, block)


def _all_weights(model_dir: Path) -> dict[str, torch.Tensor]:
    out = {}
    for path in sorted(model_dir.rglob("*.safetensors")):
        for key, value in load_file(str(path)).items():
            out[f"{path.relative_to(model_dir)}:{key}"] = value
    return out


def _assert_close(a: Path, b: Path, atol: float = 1e-5) -> None:
    wa, wb = _all_weights(a), _all_weights(b)
    assert wa.keys() == wb.keys()
    assert wa, "no weights saved"
    for key in wa:
        assert torch.allclose(wa[key].float(), wb[key].float(), atol=atol, rtol=0), key


def _job(tmp_path: Path, data: dict[str, Path], out: Path, text: str = AVERAGED, **kw) -> TrainingJob:
    cfg = Config().from_str(text, interpolate=False, overrides={
        "paths.train": str(data["train"]), "paths.dev": str(data["dev"]),
    })  # fmt: skip
    return TrainingJob.create(cfg, output=out, **kw)


def test_two_workers_match_one_process_accumulating_two_parts(tmp_path):
    """The contract of synchronous training: a step takes one batch per worker and the
    gradients are summed, so 2 workers with batches of 5 end where one process ends
    with batches of 10 and accumulate_gradient = 2 (dropout included: each part's masks
    come from the seed, the step and the part)."""
    data = write_tagger_corpora(tmp_path / "data")
    one = tmp_path / "one"
    cfg = write_config(tmp_path / "config.cfg", by_sequence(AVERAGED, 10))
    assert cli("train", cfg, "--output", one, *data_args(data),
               "--training.accumulate_gradient", "2") == 0  # fmt: skip
    two = tmp_path / "two"
    assert train_in_processes(_job(tmp_path, data, two, by_sequence(AVERAGED, 5)), 2, threads=1) == 0
    _assert_close(one / "model-last", two / "model-last")
    state_one = json.loads((one / "model-last" / "training" / "state.json").read_text())
    state_two = json.loads((two / "model-last" / "training" / "state.json").read_text())
    assert state_two["step"] == state_one["step"] == 12
    assert state_two["words"] == state_one["words"]
    assert state_two["epoch"] == state_one["epoch"] >= 1
    assert state_two["best_step"] == state_one["best_step"]
    perf_one = json.loads((one / "model-last" / "meta.json").read_text())["performance"]
    perf_two = json.loads((two / "model-last" / "meta.json").read_text())["performance"]
    assert perf_two["tag_acc"] == pytest.approx(perf_one["tag_acc"], abs=1e-6)
    # The logged loss is every worker's loss added up, as one process would log it.
    assert perf_two["losses"]["tagger"] == pytest.approx(perf_one["losses"]["tagger"], rel=1e-4)
    treadle.load(two / "model-best")


def test_resume_with_workers_ends_like_an_uninterrupted_run(tmp_path):
    data = write_tagger_corpora(tmp_path / "data")
    ref, run = tmp_path / "ref", tmp_path / "run"
    assert train_in_processes(_job(tmp_path, data, ref), 2, threads=1) == 0
    short = AVERAGED.replace("max_steps = 12", "max_steps = 8")
    assert train_in_processes(_job(tmp_path, data, run, short), 2, threads=1) == 0
    assert train_in_processes(_job(tmp_path, data, run, resume=True), 2, threads=1) == 0
    _assert_close(ref / "model-last", run / "model-last", atol=1e-6)


def test_the_cli_trains_with_workers_and_refuses_a_previous_run(tmp_path, capsys):
    data = write_tagger_corpora(tmp_path / "data")
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, "--n-workers", "2", *data_args(data)) == 0
    assert (out / "model-best" / "meta.json").exists()
    # A second run into the same folder is refused before any worker starts.
    assert cli("train", cfg, "--output", out, "--n-workers", "2", *data_args(data)) == 1
    assert "--resume" in capsys.readouterr().err


def test_an_error_in_the_workers_is_printed_once(tmp_path, capfd):
    data = write_tagger_corpora(tmp_path / "data")
    data["train"] = tmp_path / "missing.docbin"
    assert train_in_processes(_job(tmp_path, data, tmp_path / "out"), 2, threads=1) == 1
    err = capfd.readouterr().err
    assert "missing.docbin" in err
    assert err.count("missing.docbin") == 1, err
    assert "Traceback" not in err


SLOW_STEPS = """
import os, time
from pathlib import Path
from treadle.config import registry

@registry.callbacks("test_slow_steps_pids.v1")
def make(seconds: float, pid_dir: str):
    def before_update(nlp, info):
        Path(pid_dir, str(os.getpid())).touch()
        time.sleep(seconds)
    return before_update
"""


def slow_steps_run(tmp_path: Path, text: str, max_steps: int, seconds: float) -> tuple[Path, Path, Path]:
    """A config from ``text`` whose steps sleep ``seconds`` and whose workers each
    leave their pid in a folder: (config, code file, pid folder)."""
    pids = tmp_path / "pids"
    pids.mkdir()
    code = tmp_path / "slow.py"
    code.write_text(SLOW_STEPS)
    text = re.sub(r"max_steps = \d+", f"max_steps = {max_steps}", text).replace(
        "[training.batcher]\n",
        f'[training.before_update]\n@callbacks = "test_slow_steps_pids.v1"\n'
        f'seconds = {seconds}\npid_dir = "{pids}"\n\n[training.batcher]\n',
    )
    return write_config(tmp_path / "config.cfg", text), code, pids


def wait_for_checkpoint_and_workers(
    proc: subprocess.Popen[str], state: Path, pids: Path, n_workers: int, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not (state.exists() and len(list(pids.iterdir())) == n_workers):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "no checkpoint in time"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_killed_worker_stops_the_run_and_model_last_resumes(tmp_path):
    data = write_tagger_corpora(tmp_path / "data")
    cfg, code, pids = slow_steps_run(tmp_path, TRAIN_CONFIG, 400, 0.02)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "treadle", "train", str(cfg), "--output", str(out),
           "--code", str(code), "--n-workers", "2", *data_args(data)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    state = out / "model-last" / "training" / "state.json"
    wait_for_checkpoint_and_workers(proc, state, pids, 2, HANG_S * 2)
    victim = max(int(p.name) for p in pids.iterdir())
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    proc.wait(timeout=HANG_S)
    stopped_after = time.monotonic() - killed_at
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 1, err
    assert "killed by SIGKILL" in err and "--resume" in err, err
    assert stopped_after < 10, f"the run took {stopped_after:.1f} s to stop"
    step = json.loads(state.read_text())["step"]
    assert 0 < step < 400
    treadle.load(out / "model-last")
    short = ["--training.max_steps", str(step + 8), "--training.before_update.seconds", "0"]
    assert cli("train", cfg, "--output", out, "--code", code, "--n-workers", "2", "--resume",
               *data_args(data), *short) == 0  # fmt: skip
    assert json.loads(state.read_text())["step"] == step + 8
