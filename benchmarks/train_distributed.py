"""Benchmark: one process against 2 workers (each one thread) on the same wall-clock budget.

The pipeline is ``treadle init config --pipeline tagger,parser --optimize efficiency``
(a shared tok2vec) on UD English-EWT train; each run trains for ``--minutes`` of wall
time counted from its first step, then gets Ctrl-C (SIGINT), which every mode turns
into "stop after this step and save model-last". Runs, each a separate ``treadle``
process:

- ``one``: ``treadle train``, one process, one torch thread;
- ``sync``: ``treadle train --n-workers 2`` (torch.distributed, gloo on loopback);
- ``ray-sync`` / ``ray-async``: ``treadle ray train --n-workers 2 [--strategy async]``
  on a local Ray instance inside a private network namespace (``unshare --net``;
  needs root), so no packet leaves the machine.

Printed per run: steps, words trained, training words/s (wall time minus the
leader's evaluation time, from the JSONL log), the ratio to ``one``, dev TAG / UAS /
LAS of model-last evaluated afterwards (so every run is scored at the end of the same
budget), peak RSS of each worker, and Ray's start-up time.

    .venv/bin/python -m benchmarks.train_distributed --minutes 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_tagger import DATA, convert  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RUNS = ("one", "sync", "ray-sync", "ray-async")

# Touches a file per worker at its first step (the budget starts there) and names
# the worker's pid (for its peak memory).
FIRST_STEP = """
import os
from pathlib import Path
from treadle.config import registry

@registry.callbacks("bench.first_step.v1")
def make(folder: str):
    seen = []
    def before_update(nlp, info):
        if not seen:
            seen.append(True)
            Path(folder, str(os.getpid())).touch()
    return before_update
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="wall-clock budget per run")
    parser.add_argument("--eval-frequency", type=int, default=400)
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated: {', '.join(RUNS)}")
    parser.add_argument("--train", type=Path, default=DATA / "en_ewt-ud-train.conllu")
    parser.add_argument("--dev", type=Path, default=DATA / "en_ewt-ud-dev.conllu")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/treadle-bench-distributed"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = set(runs) - set(RUNS)
    if unknown:
        sys.exit(f"unknown runs: {', '.join(sorted(unknown))}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    train_path, _, n_train = convert(args.train, args.workdir / "train.docbin")
    dev_path, _, n_dev = convert(args.dev, args.workdir / "dev.docbin")
    print(f"EWT: {n_train:,} train words, {n_dev:,} dev words", file=sys.stderr)
    code = args.workdir / "first_step.py"
    code.write_text(FIRST_STEP)
    results = {}
    for run in runs:
        if run.startswith("ray") and not _netns_ok():
            print(f"{run}: skipped (a private network namespace needs root)", file=sys.stderr)
            continue
        print(f"== {run}: {args.minutes} min", file=sys.stderr)
        results[run] = _one_run(run, args, train_path, dev_path, n_dev, code)
        print(f"   {json.dumps(results[run])}", file=sys.stderr)
    _print_table(results, args.minutes)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def _config(args: argparse.Namespace, train: Path, dev: Path, out: Path, pids: Path) -> Path:
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", "tagger,parser", optimize="efficiency")
    config["paths"]["train"] = str(train)
    config["paths"]["dev"] = str(dev)
    T = config["training"]
    T["max_steps"] = 0
    T["patience"] = 0
    T["eval_frequency"] = args.eval_frequency
    T["logger"] = {"@loggers": "treadle.JSONLLogger.v1", "path": str(out / "log.jsonl")}
    T["before_update"] = {"@callbacks": "bench.first_step.v1", "folder": str(pids)}
    path = out / "config.cfg"
    path.write_text(config.to_str())
    return path


def _command(run: str, config: Path, out: Path, code: Path) -> list[str]:
    base = ["--output", str(out / "train"), "--code", str(code)]
    treadle = [sys.executable, "-m", "treadle"]
    if run == "one":
        return [*treadle, "train", str(config), *base]
    if run == "sync":
        return [*treadle, "train", str(config), "--n-workers", "2", *base]
    strategy = run.split("-", 1)[1]
    cmd = [*treadle, "ray", "train", str(config), "--n-workers", "2", "--strategy", strategy, *base]
    return ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]


def _one_run(
    run: str, args: argparse.Namespace, train: Path, dev: Path, n_dev: int, code: Path
) -> dict:
    out = args.workdir / run
    shutil.rmtree(out, ignore_errors=True)
    pids = out / "pids"
    pids.mkdir(parents=True)
    config = _config(args, train, dev, out, pids)
    ray_tmp = Path(tempfile.mkdtemp(prefix="tr-ray-", dir="/tmp"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "RAY_TMPDIR": str(ray_tmp), "RAY_AUTH_MODE": "disabled"}  # fmt: skip
    n_workers = 1 if run == "one" else 2
    t_start = time.perf_counter()
    proc = subprocess.Popen(
        _command(run, config, out, code), cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: SIGINT reaches its workers only
    )  # fmt: skip
    memory = _MemorySampler(pids)
    memory.start()
    try:
        while len(list(pids.iterdir())) < n_workers:
            if proc.poll() is not None:
                sys.exit(f"{run} ended before training: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.1)
        first_step = time.perf_counter() - t_start
        time.sleep(args.minutes * 60)
        # The whole process group, as a terminal's Ctrl-C would (Ray's driver forwards it).
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=600)
    finally:
        memory.stop()
        shutil.rmtree(ray_tmp, ignore_errors=True)
    if proc.returncode not in (0, 130):
        sys.exit(f"{run} failed ({proc.returncode}):\n{err}")
    state = json.loads((out / "train" / "model-last" / "training" / "state.json").read_text())
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if line.strip()]
    eval_s = sum(n_dev / r["scores"]["speed"] for r in rows if r.get("scores", {}).get("speed"))
    scores = _evaluate(out / "train" / "model-last", dev)
    startup = _ray_startup(err)
    return {
        "steps": state["step"],
        "words": state["words"],
        "train_wps": state["words"] / max(state["seconds"] - eval_s, 1e-9),
        "seconds_to_first_step": first_step,
        "ray_startup_s": startup,
        "peak_rss_mb": memory.peaks(),
        **scores,
    }


def _evaluate(model: Path, dev: Path) -> dict:
    import treadle
    from treadle.training.corpus import Corpus

    nlp = treadle.load(model)
    examples = list(Corpus(str(dev))(nlp))
    scores = nlp.evaluate(examples)
    return {k: 100 * scores[k] for k in ("tag_acc", "dep_uas", "dep_las") if scores.get(k) is not None}


def _ray_startup(stderr: str) -> float | None:
    for line in stderr.splitlines():
        if line.startswith("Ray:") and "ready in" in line:
            return float(line.rsplit("ready in", 1)[1].split()[0])
    return None


class _MemorySampler:
    """Samples each training worker's resident memory (VmHWM, the peak so far)."""

    def __init__(self, pids: Path) -> None:
        self.folder = pids
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self) -> list[float]:
        return [round(v) for _, v in sorted(self.peak.items())]

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            for entry in self.folder.iterdir():
                pid = int(entry.name)
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak[pid] = max(self.peak.get(pid, 0.0), int(line.split()[1]) / 1024)


def _netns_ok() -> bool:
    probe = ["unshare", "--net", "--", "sh", "-c", "ip link set lo up"]
    return shutil.which("unshare") is not None and subprocess.run(probe, capture_output=True).returncode == 0


def _print_table(results: dict[str, dict], minutes: float) -> None:
    base = results.get("one", {}).get("train_wps")
    print(f"\n{minutes} min wall time from the first step, tok2vec+tagger+parser, EWT train, "
          "1 torch thread per worker")  # fmt: skip
    header = ["run", "steps", "words", "train w/s", "vs one", "TAG", "UAS", "LAS", "peak MB/worker", "Ray start s"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for run, r in results.items():
        ratio = f"{r['train_wps'] / base:.2f}x" if base else "n/a"
        cells = [
            run, str(r["steps"]), f"{r['words']:,}", f"{r['train_wps']:,.0f}", ratio,
            f"{r.get('tag_acc', float('nan')):.2f}", f"{r.get('dep_uas', float('nan')):.2f}",
            f"{r.get('dep_las', float('nan')):.2f}", "/".join(map(str, r["peak_rss_mb"])),
            f"{r['ray_startup_s']:.1f}" if r["ray_startup_s"] is not None else "-",
        ]  # fmt: skip
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
