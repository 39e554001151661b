"""``treadle ray train``: training on Ray actors, sync and async, in a private network
namespace so that the local cluster's traffic stays on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import treadle
from tests.distributed.netns import isolated, private_network_available, ray_env, treadle_cmd
from tests.distributed.test_processes import (
    _assert_close,
    by_sequence,
    slow_steps_run,
    wait_for_checkpoint_and_workers,
)
from tests.helpers import HANG_S, REPO, SAMPLE_DATA, TRAIN_CONFIG, cli, write_config

pytest.importorskip("ray", reason="the ray extra is not installed")

needs_netns = pytest.mark.skipif(
    not private_network_available(),
    reason="Ray tests run in a private network namespace (unshare --net), which needs root",
)

# The EWT sample tagger: a real slice of EWT, small enough for a few seconds a run.
TAGGER = (
    TRAIN_CONFIG.replace("width = 16", "width = 64")
    .replace("rows = [200, 100]", "rows = [2000, 1000]")
    .replace("max_steps = 12", "max_steps = 40")
    .replace("eval_frequency = 4", "eval_frequency = 20")
    .replace("use_averages = false", "use_averages = true")
)


@pytest.fixture(scope="module")
def ewt(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ewt")
    for split in ("train", "dev"):
        assert cli("convert", SAMPLE_DATA / f"ewt-sample-{split}.conllu", root) == 0
    return {"train": root / "ewt-sample-train.docbin", "dev": root / "ewt-sample-dev.docbin"}


def _data(ewt: dict[str, Path]) -> list[str]:
    return ["--paths.train", str(ewt["train"]), "--paths.dev", str(ewt["dev"])]


def _ray_train(env: dict[str, str], *args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    cmd = isolated(treadle_cmd("ray", "train", *args))
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def _perf(model: Path) -> dict:
    return json.loads((model / "meta.json").read_text())["performance"]


@pytest.mark.slow
@needs_netns
def test_sync_ray_workers_learn_and_match_one_process(tmp_path, ewt):
    one = tmp_path / "one"
    big = write_config(tmp_path / "big.cfg", by_sequence(TAGGER, 40))
    assert cli("train", big, "--output", one, *_data(ewt), "--training.accumulate_gradient", "2") == 0
    ray_out = tmp_path / "ray"
    cfg = write_config(tmp_path / "config.cfg", by_sequence(TAGGER, 20))
    with ray_env() as env:
        done = _ray_train(env, cfg, "--n-workers", 2, "--output", ray_out, *_data(ewt))
    assert done.returncode == 0, done.stderr
    # The table is treadle train's, on stdout, without Ray's prefixes.
    assert "TAG_ACC" in done.stdout and "(" not in done.stdout
    assert "Saved" in done.stderr
    _assert_close(one / "model-last", ray_out / "model-last")
    # 40 small steps: far above a blank tagger's few percent.
    assert _perf(ray_out / "model-best")["tag_acc"] > 0.6
    assert treadle.load(ray_out / "model-best")("The dog runs.")[1].tag_


@pytest.mark.slow
@needs_netns
def test_async_ray_workers_learn(tmp_path, ewt):
    # Async progress depends on timing: on a loaded machine a worker's gradients go
    # stale more often, so the run gets more steps than the sync one.
    cfg = write_config(tmp_path / "config.cfg", TAGGER.replace("max_steps = 40", "max_steps = 100"))
    out = tmp_path / "async"
    with ray_env() as env:
        done = _ray_train(env, cfg, "--n-workers", 2, "--strategy", "async", "--output", out, *_data(ewt))
    assert done.returncode == 0, done.stderr
    assert "Async exchange: worker 0" in done.stderr
    assert _perf(out / "model-best")["tag_acc"] > 0.5
    assert (out / "model-last" / "training" / "optimizer.safetensors").exists()
    treadle.load(out / "model-last")


@pytest.mark.slow
@needs_netns
def test_a_killed_ray_worker_stops_the_run_and_model_last_resumes(tmp_path, ewt):
    cfg, code, pids = slow_steps_run(tmp_path, TAGGER, 2000, 0.05)
    out = tmp_path / "out"
    state = out / "model-last" / "training" / "state.json"
    args = [cfg, "--n-workers", 2, "--output", out, "--code", code, *_data(ewt)]
    with ray_env() as env:
        cmd = isolated(treadle_cmd("ray", "train", *args))
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        wait_for_checkpoint_and_workers(proc, state, pids, 2, HANG_S * 3)
        # Either worker: the leader's death must stop the run as cleanly as another's.
        os.kill(max(int(p.name) for p in pids.iterdir()), signal.SIGKILL)
        killed_at = time.monotonic()
        proc.wait(timeout=HANG_S)
        stopped_after = time.monotonic() - killed_at
        err = proc.stderr.read() if proc.stderr else ""
        assert proc.returncode == 1, err
        assert "died" in err and "--resume" in err, err
        assert "Traceback" not in err, err
        assert stopped_after < 15, f"the run took {stopped_after:.1f} s to stop"
        step = json.loads(state.read_text())["step"]
        treadle.load(out / "model-last")
        more = ["--training.max_steps", step + 10, "--training.before_update.seconds", 0]
        done = _ray_train(env, *args, "--resume", *more)
    assert done.returncode == 0, done.stderr
    assert json.loads(state.read_text())["step"] == step + 10


def test_an_unreachable_address_is_one_line(tmp_path, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    # Port 1 on loopback: nothing listens, the refusal is immediate.
    assert cli("ray", "train", cfg, "--address", "127.0.0.1:1") == 1
    err = capsys.readouterr().err
    assert "Can't join the Ray cluster at --address 127.0.0.1:1" in err
    assert "Traceback" not in err


def test_missing_ray_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("ray", "train", cfg) == 1
    assert "pip install 'treadle[ray]'" in capsys.readouterr().err


def test_an_unknown_strategy_is_refused(tmp_path, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("ray", "train", cfg, "--strategy", "hogwild") == 1
    assert "--strategy must be one of sync, async" in capsys.readouterr().err
